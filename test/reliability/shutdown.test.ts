/**
 * SIGTERM with tasks still open: sessions get `--grace` to finish, then the host answers what it
 * has already read, closes the rest with an ErrorResponse saying why, and exits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { beforeDeadline, HostProcess } from '../helpers/index.js';
import { TaskPeer, seqPoints } from './task-peer.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

describe('shutdown keeps its grace', () => {
  it('exits within the grace period with an idle and a busy task open, after writing every reply to input sent before the signal', async () => {
    const host = await HostProcess.start(['--threads', '2', '--functions', 'mirror', '--grace', '2s']);
    const idle = await TaskPeer.task(host.socket('mirror'), 'idle');
    const busy = await TaskPeer.task(host.socket('mirror'), 'busy');
    const finisher = await TaskPeer.task(host.socket('mirror'), 'finisher');

    let signalled = false;
    let sent = 0;
    let sentBeforeSignal = 0;
    const pump = (async () => {
      for (;;) {
        const ok = await busy.write(seqPoints(sent, 100));
        if (!ok) return;
        sent += 100;
        if (!signalled) sentBeforeSignal = sent;
      }
    })();
    await busy.next((r) => r.kind === 'point' && r.point.fields['seq'] === 5000n);

    signalled = true;
    const signalledAt = performance.now();
    host.child.kill('SIGTERM');
    // A task Kapacitor stops during the grace period ends as usual: every reply, no error.
    await finisher.write(seqPoints(0, 50));
    finisher.end();

    const exit = await beforeDeadline(host.exited, 10_000);
    const exitMs = performance.now() - signalledAt;
    await Promise.all([idle.closed, busy.closed, finisher.closed, pump]);
    await host.stop();

    assert.equal(exit, 0, 'the host exited with code 0');
    assert.ok(exitMs < 3000, `exited ${Math.round(exitMs)} ms after SIGTERM with --grace 2s`);
    assert.ok(
      host.logs.some((l) => l.msg === 'grace period over: closing the sessions still open' && l['sessions'] === 2),
    );

    const seqs = busy.seqs();
    assert.ok(
      seqs.length >= sentBeforeSignal,
      `every point sent before the signal came back (${seqs.length} of ${sentBeforeSignal})`,
    );
    assert.ok(
      seqs.every((s, i) => s === i),
      'replies are in order with nothing missing or doubled',
    );
    assert.match(busy.errors().join(), /mirror: host shutting down/);
    assert.equal(busy.responses.at(-1)?.kind, 'error', 'the ErrorResponse is the last frame');
    assert.deepEqual(idle.errors(), ['mirror: host shutting down']);
    assert.deepEqual(
      finisher.seqs(),
      seqPoints(0, 50).map((_, i) => i),
    );
    assert.deepEqual(finisher.errors(), []);
    assert.equal(busy.badReply ?? idle.badReply ?? finisher.badReply, undefined);
  });

  it('exits at once when no task is open', async () => {
    const host = await HostProcess.start(['--threads', '1', '--functions', 'mirror', '--grace', '30s']);
    const signalledAt = performance.now();
    host.child.kill('SIGTERM');
    const exit = await beforeDeadline(host.exited, 10_000);
    const exitMs = performance.now() - signalledAt;
    await host.stop();
    assert.equal(exit, 0);
    assert.ok(exitMs < 5000, `exited ${Math.round(exitMs)} ms after SIGTERM with --grace 30s and no task`);
  });
});
