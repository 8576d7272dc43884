/**
 * Reloading a function's code under a real Kapacitor (test/helpers/kapacitor.ts): a task keeps
 * running through 10 reloads while points stream, and its output equals that of a task running
 * the same code under another name that is never reloaded. Kapacitor notices nothing: the task
 * stays executing, no node error, nothing logged at error level, no keepalive trouble.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HostProcess,
  type LogLine,
  HttpCollector,
  type PostedPoint,
  Kapacitord,
  writeTally,
} from '../helpers/index.js';

const DB = 'e2e';
const RELOADS = 10;
const ROUNDS_PER_RELOAD = 6;
const POINTS_PER_ROUND = 50;

const script = (udf: string, path: string): string =>
  `dbrp "${DB}"."autogen"\n\nstream\n    |from()\n        .measurement('load')\n        .groupBy('g')\n    @${udf}()\n        .field('v')\n    |httpPost('${path}')\n`;

interface NodeStats {
  collected: number;
  emitted: number;
  errors: number;
}

describe('reloading function code under a real Kapacitor', () => {
  const root = mkdtempSync(join(tmpdir(), 'kudf-e2e-reload-'));
  const udfDir = join(root, 'udfs');
  let host: HostProcess;
  let kapacitor: Kapacitord;
  let collector: HttpCollector;

  before(async () => {
    writeTally(udfDir, { code: 1 });
    // The same code under another name, never reloaded: what an unreloaded run gives.
    writeTally(udfDir, { code: 1, name: 'twin' }, 'twin.mjs');
    host = await HostProcess.start([], { udfDir });
    kapacitor = await Kapacitord.start({ socketDir: host.socketDir, tasksDir: null, udfDir, udfTimeout: '2s' });
    collector = await HttpCollector.start();
  });

  after(async () => {
    await kapacitor?.stop();
    await host?.stop();
    await collector?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps a task running through 10 reloads under load, with the output of an unreloaded run', async () => {
    assert.equal(await kapacitor.define('reloaded', script('tally', collector.url('/reloaded'))), '');
    assert.equal(await kapacitor.define('unreloaded', script('twin', collector.url('/unreloaded'))), '');
    await kapacitor.waitExecuting(['reloaded', 'unreloaded']);
    // The first task starts the host's workers (Kapacitor's start-up asked only for Info): each
    // session is on a worker before the first reload, so that reload has a session to move.
    for (const task of ['reloaded', 'unreloaded'])
      await host.waitForLog((l) => l.msg === 'session initialised' && l['taskID'] === task);
    let sent = 0;
    let t = 1_700_000_000_000_000_000n;
    const round = async (): Promise<void> => {
      const lines: string[] = [];
      for (let i = 0; i < POINTS_PER_ROUND; i += 1, sent += 1) {
        t += 1_000_000n;
        lines.push(`load,g=g${sent % 4} v=${sent % 9} ${t}`);
      }
      await kapacitor.write(DB, 'autogen', lines);
    };
    const reloadLines = (): LogLine[] => host.logs.filter((l) => l.msg.startsWith('functions reloaded'));
    for (let v = 2; v <= RELOADS + 1; v++) {
      await round();
      // Kapacitor has taken the round when its write returns, not yet passed it to the UDF:
      // once it is out, every version has had points of its own before the next replaces it.
      await collector.waitUntil('/reloaded', `${sent} points before reload ${v - 1}`, (p) => p.length >= sent);
      writeTally(udfDir, { code: v });
      const before = reloadLines().length;
      host.child.kill('SIGHUP');
      // Points keep flowing while the host loads the new file and moves the session.
      for (let r = 1; r < ROUNDS_PER_RELOAD; r++) await round();
      const line = await host.waitForLog(
        (l) => l.msg.startsWith('functions reloaded') && reloadLines().length > before,
      );
      assert.equal(line['outcome'], 'ok');
      assert.equal(line['moved'], 1, 'the task moved to the new code');
      assert.equal(line['kept'], 0);
    }
    await round();
    const byTime = (a: PostedPoint, b: PostedPoint): number => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0);
    const reloaded = (await collector.waitUntil('/reloaded', `${sent} points`, (p) => p.length >= sent)).sort(byTime);
    const unreloaded = (await collector.waitUntil('/unreloaded', `${sent} points`, (p) => p.length >= sent)).sort(
      byTime,
    );
    assert.equal(reloaded.length, sent);
    assert.equal(unreloaded.length, sent);
    const strip = (p: PostedPoint): unknown => ({
      time: p.time,
      tags: p.tags,
      count: p.fields['count'],
      sum: p.fields['sum'],
      v: p.fields['v'],
    });
    assert.deepEqual(
      reloaded.map(strip),
      unreloaded.map(strip),
      'the same points, counts and sums as the unreloaded run',
    );
    const codes = reloaded.map((p) => Number(p.fields['code']));
    assert.deepEqual(
      codes.filter((c, i) => i === 0 || c !== codes[i - 1]),
      Array.from({ length: RELOADS + 1 }, (_, i) => i + 1),
      'each reload took over from the one before',
    );
    for (const id of ['reloaded', 'unreloaded']) {
      const task = (await kapacitor.task(id)) as Awaited<ReturnType<Kapacitord['task']>> & {
        stats: { 'node-stats': Record<string, NodeStats> };
      };
      assert.equal(task.executing, true, id);
      assert.equal(task.error, '', id);
      const udf = Object.entries(task.stats['node-stats']).find(
        ([name]) => name.startsWith('tally') || name.startsWith('twin'),
      );
      assert.ok(udf !== undefined, `${id}: no UDF node in ${JSON.stringify(task.stats['node-stats'])}`);
      assert.equal(udf[1].collected, sent, `${id}: collected`);
      assert.equal(udf[1].emitted, sent, `${id}: emitted`);
      assert.equal(udf[1].errors, 0, `${id}: errors`);
    }
    assert.deepEqual(kapacitor.errorLines(), []);
    assert.ok(!/keepalive/i.test(kapacitor.log), 'Kapacitor logged a keepalive problem');
    assert.deepEqual(
      host.logs.filter((l) => l.level >= 50),
      [],
      'the host logged no error',
    );
  });
});
