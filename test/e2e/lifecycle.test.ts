/**
 * Task lifecycles on a real Kapacitor (see test/helpers/kapacitor.ts; Kapacitor's source is never
 * copied into this repository): snapshots across a kapacitord restart, a redefined task, the host
 * killed under running tasks, and keepalives under steady load with a short timeout.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readHostStatus } from '../../src/host/index.js';
import { HostProcess, Influxd, waitFor, Kapacitord, SANDBOX_UDF_DIR } from '../helpers/index.js';
import { edgeScript } from './tasks.js';

const DB = 'e2e';
const S = 1_000_000_000n;
const T0 = 1_700_000_000n * S;

interface Row {
  /** Milliseconds: JSON numbers carry nanosecond times only to about 0.1 µs. */
  time: number;
  host: string;
  value: string;
  prev_value: string | null;
  dur: number | null;
}

async function rows(influx: Influxd, measurement: string): Promise<Row[]> {
  const s = await influx.query(DB, `SELECT "host", "value", "prev_value", "dur" FROM "${measurement}" GROUP BY *`);
  const out: Row[] = [];
  for (const series of s) {
    for (const v of series.values) {
      const r = Object.fromEntries(series.columns.map((c, i) => [c, v[i]])) as Record<string, unknown>;
      out.push({
        time: Math.round((r['time'] as number) / 1e6),
        host: series.tags?.['host'] ?? (r['host'] as string),
        value: r['value'] as string,
        prev_value: (r['prev_value'] as string | null) ?? null,
        dur: (r['dur'] as number | null) ?? null,
      });
    }
  }
  return out.sort((a, b) => a.time - b.time || a.host.localeCompare(b.host));
}

async function waitRows(influx: Influxd, measurement: string, n: number): Promise<Row[]> {
  await waitFor(`${n} rows in ${measurement}`, async () => (await rows(influx, measurement)).length >= n, 30_000, 100);
  // Nothing more than expected arrives in the next flush.
  await new Promise((r) => setTimeout(r, 300));
  return rows(influx, measurement);
}

const edge = (measurement: string, extra = ''): string => edgeScript(DB, measurement, { extra });

const at = (s: number): bigint => T0 + BigInt(s) * S;
const line = (host: string, value: string, s: number): string => `state,host=${host} value="${value}" ${at(s)}`;
const ms = (s: number): number => Number(at(s) / 1_000_000n);

describe('task lifecycles on a real Kapacitor', () => {
  let influx: Influxd;
  let host: HostProcess;
  let kapacitor: Kapacitord;

  before(async () => {
    influx = await Influxd.start();
    await influx.exec(`CREATE DATABASE ${DB}`);
    host = await HostProcess.start([], { udfDir: SANDBOX_UDF_DIR });
    kapacitor = await Kapacitord.start({
      socketDir: host.socketDir,
      influxUrl: influx.url,
      tasksDir: null,
      snapshotInterval: '500ms',
    });
  });

  after(async () => {
    await kapacitor?.stop();
    await host?.stop();
    await influx?.stop();
  });

  it("answers Kapacitor's start-up Info without starting a worker, before any task is enabled", async () => {
    // kapacitord is up only once every function has answered its Info.
    const status = await readHostStatus(host.socketDir);
    assert.ok(status !== undefined && status.threads > 0, JSON.stringify(status));
    assert.equal(status.up, 0, JSON.stringify(status));
    assert.equal(status.idle, status.threads, JSON.stringify(status));
  });

  it('goes on from its snapshot after kapacitord restarts: no second first point, durations continue', async () => {
    assert.equal(await kapacitor.define('snap', edge('snap_out'), { type: 'stream', dbrp: [DB, 'autogen'] }), '');
    await kapacitor.waitExecuting(['snap']);
    await kapacitor.write(DB, 'autogen', [
      line('a', 'UP', 0),
      line('b', 'UP', 0),
      line('a', 'UP', 10),
      line('a', 'DOWN', 20),
      line('b', 'UP', 20),
    ]);
    const before = await waitRows(influx, 'snap_out', 3);
    assert.deepEqual(
      before.map((r) => [r.time, r.host, r.value, r.prev_value, r.dur]),
      [
        [ms(0), 'a', 'UP', null, null],
        [ms(0), 'b', 'UP', null, null],
        [ms(20), 'a', 'DOWN', 'UP', 20],
      ],
    );
    // Kapacitor saves snapshots only on its interval (here 500 ms, splayed), never at stop.
    await new Promise((r) => setTimeout(r, 2_000));
    const restores = host.logs.length;
    await kapacitor.pause('SIGTERM');
    await kapacitor.resume();
    await kapacitor.waitExecuting(['snap']);
    await kapacitor.write(DB, 'autogen', [
      line('a', 'DOWN', 30),
      line('b', 'UP', 30),
      line('b', 'DOWN', 45),
      line('a', 'UP', 50),
    ]);
    const after = await waitRows(influx, 'snap_out', 5);
    assert.deepEqual(
      after.slice(3).map((r) => [r.time, r.host, r.value, r.prev_value, r.dur]),
      [
        [ms(45), 'b', 'DOWN', 'UP', 45],
        [ms(50), 'a', 'UP', 'DOWN', 30],
      ],
    );
    assert.ok(
      host.logs.slice(restores).some((l) => /restor/i.test(l.msg)),
      'the host logged no restore',
    );
  });

  it('starts a task redefined with another pipeline from a clean state', async () => {
    // A pipeline with another node: Kapacitor finds no snapshot for the new node and restores none.
    assert.equal(
      await kapacitor.define('snap', edge('snap_where', '    |where(lambda: TRUE)'), {
        type: 'stream',
        dbrp: [DB, 'autogen'],
      }),
      '',
    );
    await kapacitor.waitExecuting(['snap']);
    await kapacitor.write(DB, 'autogen', [line('a', 'UP', 60)]);
    assert.deepEqual(
      (await waitRows(influx, 'snap_where', 1)).map((r) => [r.time, r.host, r.value, r.prev_value, r.dur]),
      [[ms(60), 'a', 'UP', null, null]],
    );
    await new Promise((r) => setTimeout(r, 1_500));
    // The same nodes with other options: Kapacitor does restore, and the host refuses a snapshot
    // taken under other options, so the state starts clean as well.
    const mark = host.logs.length;
    assert.equal(
      await kapacitor.define(
        'snap',
        edge('snap_opts', '    |where(lambda: TRUE)').replace(
          ".durationField('dur')",
          ".durationField('dur').unit(1m)",
        ),
        { type: 'stream', dbrp: [DB, 'autogen'] },
      ),
      '',
    );
    await kapacitor.waitExecuting(['snap']);
    await kapacitor.write(DB, 'autogen', [line('a', 'UP', 70)]);
    assert.deepEqual(
      (await waitRows(influx, 'snap_opts', 1)).map((r) => [r.time, r.host, r.value, r.prev_value, r.dur]),
      [[ms(70), 'a', 'UP', null, null]],
    );
    assert.ok(
      host.logs.slice(mark).some((l) => l.level === 40 && /snapshot/i.test(l.msg)),
      `no warning about the foreign snapshot:\n${JSON.stringify(host.logs.slice(mark))}`,
    );
    await kapacitor.deleteTask('snap');
  });
});
