/**
 * Tasks brought back after a host restart, on a real Kapacitor (test/helpers/kapacitor.ts): with
 * --kapacitor-url and --state-dir the host re-enables the tasks it served through Kapacitor's
 * HTTP API once its sockets listen, and they go on from their last snapshot. A task a person
 * disabled stays disabled. Points written while the host was down are counted: Kapacitor drops
 * them (docs/operations.md says so).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor, HostProcess, Kapacitord, SANDBOX_UDF_DIR } from '../helpers/index.js';

const DB = 'e2e';
const TASKS = ['avg_task', 'mirror_task'] as const;

/** Every point Kapacitor posts (httpPost), by task: [time, fields] in arrival order. */
class Collector {
  readonly got = new Map<string, Array<Record<string, unknown>>>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        const task = (req.url ?? '/').slice(1);
        const doc = JSON.parse(body) as { series?: Array<{ columns: string[]; values: unknown[][] }> };
        for (const s of doc.series ?? []) {
          for (const row of s.values) {
            const rec = Object.fromEntries(s.columns.map((c, i) => [c, row[i]]));
            this.got.set(task, [...(this.got.get(task) ?? []), rec]);
          }
        }
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  count(task: string): number {
    return this.got.get(task)?.length ?? 0;
  }

  last(task: string): Record<string, unknown> | undefined {
    return this.got.get(task)?.at(-1);
  }

  close(): Promise<void> {
    return new Promise((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }
}

function script(task: string, udf: string, collector: string): string {
  return `dbrp "${DB}"."autogen"\n\nstream\n    |from()\n        .measurement('m')\n    ${udf}\n    |httpPost('${collector}/${task}')\n`;
}

describe('tasks brought back after the host restarts', () => {
  let kapacitor: Kapacitord;
  let host: HostProcess;
  let socketDir: string;
  let stateDir: string;
  const collector = new Collector();
  let v = 0;
  let t = 0;

  /** Writes `n` points with v = the next values 1, 2, 3... */
  const send = async (n: number): Promise<number[]> => {
    const values: number[] = [];
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      v += 1;
      t += 1;
      values.push(v);
      lines.push(`m,host=r1 v=${v} ${1_700_000_000_000_000_000n + BigInt(t) * 1_000_000_000n}`);
    }
    await kapacitor.write(DB, 'autogen', lines);
    return values;
  };

  const startHost = async (kapacitorUrl: string): Promise<{ host: HostProcess; readyAt: number }> => {
    const h = await HostProcess.start(
      ['--threads', '1', '--grace', '1s', '--kapacitor-url', kapacitorUrl, '--state-dir', stateDir],
      { udfDir: SANDBOX_UDF_DIR, socketDir },
    );
    return { host: h, readyAt: Date.now() };
  };

  /** Every task executing on Kapacitor's side and brought back on ours; the time it took from host ready. */
  const backWithin = async (h: HostProcess, readyAt: number): Promise<number> => {
    await waitFor(
      'every task back',
      async () => {
        const all = await kapacitor.tasks();
        return (
          TASKS.every((id) => all.find((x) => x.id === id)?.executing === true) &&
          TASKS.every((id) => h.logs.some((l) => l.msg === 'task brought back' && l['task'] === id))
        );
      },
      5_000,
      50,
    );
    return Date.now() - readyAt;
  };

  before(async () => {
    await collector.start();
    socketDir = mkdtempSync(join(tmpdir(), 'kudf-recovery-sock-'));
    stateDir = mkdtempSync(join(tmpdir(), 'kudf-recovery-state-'));
    // Kapacitor's port is known once it runs: the first host records tasks and points its API at
    // an address where nothing listens (it has nothing to bring back yet).
    ({ host } = await startHost('http://127.0.0.1:9'));
    kapacitor = await Kapacitord.start({ socketDir, tasksDir: null, snapshotInterval: '1s', udfTimeout: '10s' });
    assert.equal(
      await kapacitor.define(
        'avg_task',
        script(
          'avg_task',
          "@movingAverage()\n        .field('v')\n        .size(3)\n        .as('avg')",
          collector.url,
        ),
      ),
      '',
    );
    assert.equal(await kapacitor.define('mirror_task', script('mirror_task', '@mirror()', collector.url)), '');
    assert.equal(await kapacitor.define('off_task', script('off_task', '@mirror()', collector.url)), '');
    await kapacitor.waitExecuting([...TASKS, 'off_task']);
    await waitFor(
      'the tasks recorded',
      async () => {
        const state = JSON.parse(readFileSync(join(stateDir, 'tasks.json'), 'utf8')) as {
          tasks: Record<string, unknown>;
        };
        return [...TASKS, 'off_task'].every((id) => id in state.tasks);
      },
      10_000,
      50,
    );
    // A person disables this one: it must stay disabled through every restart.
    assert.equal(await kapacitor.setStatus('off_task', 'disabled'), '');
  });

  after(async () => {
    await host?.stop();
    await kapacitor?.stop();
    await collector.close();
    for (const d of [socketDir, stateDir]) if (d !== undefined) rmSync(d, { recursive: true, force: true });
  });

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`after ${signal}, every task executes again within 5 s of the host being ready, from its restored snapshot; points sent while it was down are dropped`, async (ctx) => {
      const base = { avg: collector.count('avg_task'), mirror: collector.count('mirror_task') };
      await send(6);
      await waitFor(
        'the points through both tasks',
        async () => collector.count('avg_task') === base.avg + 6 && collector.count('mirror_task') === base.mirror + 6,
        20_000,
        50,
      );
      const windowBefore = [v - 2, v - 1, v];
      // Snapshots every second: wait for one taken after the last point.
      await new Promise((r) => setTimeout(r, 2_500));

      host.child.kill(signal);
      await host.exited;
      const seenBefore = collector.count('mirror_task');
      // While the host is down: the first write fails the tasks (broken pipe), the rest find no task executing.
      const whileDown = await send(5);
      await new Promise((r) => setTimeout(r, 1_000));
      await waitFor(
        'Kapacitor saw the tasks fail',
        async () => {
          const all = await kapacitor.tasks();
          return TASKS.every((id) => all.find((x) => x.id === id)?.executing === false) || signal === 'SIGTERM';
        },
        20_000,
        100,
      );

      const started = await startHost(kapacitor.url);
      host = started.host;
      const ms = await backWithin(host, started.readyAt);
      ctx.diagnostic(
        `${signal}: every task executing again ${ms} ms after the host was ready; ${whileDown.length} points written while it was down, ${collector.count('mirror_task') - seenBefore} of them came out`,
      );

      assert.equal(collector.count('mirror_task'), seenBefore, 'points written while the host was down came out');
      assert.equal(
        (await kapacitor.task('off_task')).status,
        'disabled',
        'the task a person disabled was enabled again',
      );
      assert.ok(
        host.logs.some((l) => l.msg === 'task is disabled in Kapacitor; left disabled' && l['task'] === 'off_task'),
      );

      // The moving average goes on from the window it had: the points sent while down are not in it.
      const avgBefore = collector.count('avg_task');
      const [next] = await send(1);
      await waitFor(
        'the first point after the restart',
        async () => collector.count('mirror_task') === seenBefore + 1 && collector.count('avg_task') === avgBefore + 1,
        10_000,
        50,
      );
      const restored = [windowBefore[1]!, windowBefore[2]!, next!];
      assert.equal(
        collector.last('avg_task')?.['avg'],
        restored.reduce((a, b) => a + b, 0) / 3,
        `expected the average of ${restored.join(', ')} (restored window), a fresh window would give ${next}`,
      );
    });
  }
});
