/**
 * Keepalives with a short UDF timeout under steady load, on a real Kapacitor (see
 * test/helpers/kapacitor.ts; Kapacitor's source is never copied into this repository). Kapacitor
 * sends a keepalive every timeout/2 and aborts the task when no answer came for the whole timeout.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HostProcess, Kapacitord, SANDBOX_UDF_DIR, waitFor } from '../helpers/index.js';

const DB = 'e2e';
const LOAD_MS = 60_000;

interface NodeStats {
  collected: number;
  emitted: number;
  errors: number;
}

describe('keepalives on a real Kapacitor', () => {
  let host: HostProcess;
  let kapacitor: Kapacitord;

  before(async () => {
    host = await HostProcess.start([], { udfDir: SANDBOX_UDF_DIR });
    kapacitor = await Kapacitord.start({ socketDir: host.socketDir, tasksDir: null, udfTimeout: '1s' });
  });

  after(async () => {
    await kapacitor?.stop();
    await host?.stop();
  });

  it('never aborts a task with timeout = "1s" under 60 s of steady load', async () => {
    const script = `dbrp "${DB}"."autogen"\n\nstream\n    |from()\n        .measurement('load')\n        .groupBy('g')\n    @movingAverage()\n        .field('v')\n        .size(10)\n    @mirror()\n    |count('avg')\n`;
    assert.equal(await kapacitor.define('steady', script), '');
    await kapacitor.waitExecuting(['steady']);
    let sent = 0;
    let t = 1_700_000_000_000_000_000n;
    const started = Date.now();
    while (Date.now() - started < LOAD_MS) {
      const lines: string[] = [];
      for (let i = 0; i < 500; i += 1, sent += 1) {
        t += 1_000_000n;
        lines.push(`load,g=g${sent % 16} v=${(sent % 100) / 10} ${t}`);
      }
      await kapacitor.write(DB, 'autogen', lines);
      await new Promise((r) => setTimeout(r, 20));
      const task = await kapacitor.task('steady');
      assert.equal(
        task.executing,
        true,
        `the task stopped after ${Date.now() - started} ms: ${task.error}\n${kapacitor.log.slice(-2000)}`,
      );
    }
    const stats = async (): Promise<Record<string, NodeStats>> =>
      ((await kapacitor.task('steady')) as unknown as { stats: { 'node-stats': Record<string, NodeStats> } }).stats[
        'node-stats'
      ];
    await waitFor(
      'every point through both UDFs',
      async () => Object.entries(await stats()).some(([name, s]) => name.startsWith('mirror') && s.emitted === sent),
      20_000,
      100,
    );
    const nodes = await stats();
    const udfs = Object.entries(nodes).filter(
      ([name]) => name.startsWith('movingAverage') || name.startsWith('mirror'),
    );
    assert.equal(udfs.length, 2);
    for (const [name, s] of udfs) {
      assert.equal(s.collected, sent, name);
      assert.equal(s.emitted, sent, name);
      assert.equal(s.errors, 0, name);
    }
    assert.equal((await kapacitor.task('steady')).error, '');
    assert.deepEqual(kapacitor.errorLines(), []);
    assert.ok(!/keepalive/i.test(kapacitor.log), 'Kapacitor logged a keepalive problem');
    assert.ok(sent >= 50_000, `only ${sent} points were sent`);
  });
});
