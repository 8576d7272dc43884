/**
 * Faults of function code outside a call into it (a timer that throws, a promise left rejected,
 * process.exit from a callback or from the call itself) end only the session whose code it was,
 * with an ErrorResponse naming the function; the other sessions on the same worker go on.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HostProcess } from '../helpers/index.js';
import { seqPoint } from './raw-peer.js';
import { TaskPeer, seqPoints } from './task-peer.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

const cases: Array<{ mode: string; error: RegExp }> = [
  {
    mode: 'timer-throw',
    error: /^crash: thrown from a timer \(outside a call: in a timer, promise or callback of the function\)$/,
  },
  { mode: 'reject', error: /^crash: rejected in a promise \(outside a call/ },
  { mode: 'exit-later', error: /^crash: process\.exit\(4\) called by function code \(outside a call/ },
  { mode: 'exit-now', error: /^crash: process\.exit\(3\) called by function code$/ },
];

describe('faults outside a call are attributed to their session', () => {
  let host: HostProcess;
  let neighbours: TaskPeer[];
  let sent = 0;

  before(async () => {
    // One worker: every session shares it with the faulty one.
    host = await HostProcess.start(['--threads', '1', '--functions', 'mirror,crash']);
    neighbours = await Promise.all([0, 1, 2].map((i) => TaskPeer.task(host.socket('mirror'), `neighbour-${i}`)));
  });

  after(async () => {
    for (const n of neighbours) n.end();
    await Promise.all(neighbours.map((n) => n.closed));
    for (const n of neighbours) {
      assert.deepEqual(n.errors(), []);
      assert.deepEqual(
        n.seqs(),
        Array.from({ length: sent }, (_, i) => i),
      );
    }
    assert.ok(!host.logs.some((l) => l.msg === 'worker lost; its other sessions move'), 'no worker was lost');
    assert.ok(!host.logs.some((l) => l.level >= 60), 'no fatal line');
    await host.stop();
  });

  for (const { mode, error } of cases) {
    it(`ends only the session whose function failed with '${mode}'`, async () => {
      const crasher = await TaskPeer.task(host.socket('crash'), `crasher-${mode}`);
      await crasher.write([{ kind: 'point', point: seqPoint(0, { mode }) }]);
      await crasher.closed;
      assert.equal(crasher.errors().length, 1, crasher.errors().join());
      assert.match(crasher.errors()[0] ?? '', error);
      // The neighbours on the same worker still answer, in order.
      await Promise.all(neighbours.map((n) => n.write(seqPoints(sent, 10))));
      sent += 10;
      await Promise.all(
        neighbours.map((n) => n.next((r) => r.kind === 'point' && r.point.fields['seq'] === BigInt(sent - 1))),
      );
    });
  }
});
