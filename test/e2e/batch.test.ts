/**
 * Batch functions under a real `|query()`: a real InfluxDB (Debian's 1.x) holds seeded points
 * for the next minute, and tasks in one real Kapacitor (built from its Go module; its source is
 * never copied into this repository) query it in aligned windows of two seconds. Each of our
 * batch functions runs next to what Kapacitor itself offers for the same thing, on the same
 * windows: changeDetect for @edgeDetectBatch, InfluxQL's integral() for @integralBatch, and for
 * @outliers a reference computation of Tukey's fences (quantiles of type 7) over the very
 * batches the query returned.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  HostProcess,
  HttpCollector,
  type PostedPoint,
  Influxd,
  Kapacitord,
  SANDBOX_UDF_DIR,
} from '../helpers/index.js';

const DB = 'kbatch';
const RP = 'autogen';
const MS = 1_000_000n;
/** Window length and query interval: the tasks query [t - 2s, t) at every even second. */
const PERIOD_MS = 2000;
const PERIOD = BigInt(PERIOD_MS) * MS;
const HOSTS = ['h0', 'h1', 'h2', 'h3'];
/** A host with one point a window (none in every fifth): a trapezoid needs two, so its integral is 0. */
const SPARSE = 'h9';
/** How many windows every pair must have seen, at least, before it is compared. */
const WINDOWS = 4;

interface Row {
  host: string;
  time: bigint;
  fields: Record<string, string>;
}

/**
 * Seeded points per host from `start` for `spanMs`: gaps of 60..450 ms; `value` a line state
 * in runs and `mode` a/b, each missing now and then; `watts` a noisy load; `snr` around 6 dB
 * with a spike in about 4 % of points.
 */
function seeded(seed: number, start: bigint, spanMs: number): Row[] {
  const step = fc.record({
    gap: fc.integer({ min: 60, max: 450 }),
    ns: fc.integer({ min: 0, max: 999_999 }),
    change: fc.nat({ max: 9 }),
    state: fc.constantFrom('SHOWTIME', 'TRAINING', 'IDLE'),
    drop: fc.nat({ max: 99 }),
    watts: fc.integer({ min: 0, max: 500_000 }),
    noise: fc.integer({ min: -1000, max: 1000 }),
    spike: fc.integer({ min: -20_000, max: 20_000 }),
  });
  const per = Math.ceil(spanMs / 60);
  const all = fc.sample(
    fc.array(fc.array(step, { minLength: per, maxLength: per }), { minLength: HOSTS.length, maxLength: HOSTS.length }),
    { seed, numRuns: 1 },
  )[0];
  const rows: Row[] = [];
  (all ?? []).forEach((steps, h) => {
    let t = start;
    let state = 'SHOWTIME';
    let mode = 'a';
    for (const s of steps) {
      t += BigInt(s.gap) * MS + BigInt(s.ns);
      if (t >= start + BigInt(spanMs) * MS) break;
      if (s.change < 3) state = s.state;
      if (s.change === 9) mode = mode === 'a' ? 'b' : 'a';
      const fields: Record<string, string> = {
        watts: (s.watts / 1000 + 100 * h).toFixed(3),
        snr: (6 + (s.noise + (s.drop < 4 ? s.spike : 0)) / 1000).toFixed(3),
      };
      if (s.drop % 25 !== 7) fields['value'] = `"${state}"`;
      if (s.drop % 20 !== 3) fields['mode'] = `"${mode}"`;
      rows.push({ host: HOSTS[h] as string, time: t, fields });
    }
  });
  // The sparse host: one point in the middle of each window (none in every fifth).
  for (let k = 0n; k * PERIOD < BigInt(spanMs) * MS; k++) {
    if (k % 5n === 4n) continue;
    rows.push({ host: SPARSE, time: start + k * PERIOD + PERIOD / 2n + k, fields: { watts: `${(k * 7n) % 50n}.5` } });
  }
  return rows;
}

/** The q-th quantile by type 7 of Hyndman & Fan, from its definition: x[j] + (h - j)(x[j+1] - x[j]) with h = (n - 1)q + 1, 1-based. */
function type7(values: number[], q: number): number {
  const x = [...values].sort((a, b) => a - b);
  const h = (x.length - 1) * q + 1;
  const j = Math.floor(h);
  const lower = x[j - 1] as number;
  const upper = j < x.length ? (x[j] as number) : lower;
  return lower + (h - j) * (upper - lower);
}

/** The window [k·period, (k+1)·period) a time falls in, by its end k+1 (the query's stop). */
function windowEnd(t: bigint): bigint {
  return (t / PERIOD + 1n) * PERIOD;
}

function key(p: PostedPoint): string {
  return `${p.tags['host'] ?? ''}@${p.time}`;
}

/** Points by window (by the window end of their time, shifted by `shift`), then host and time. */
function byWindow(points: PostedPoint[], shift = 0n): Map<bigint, PostedPoint[]> {
  const m = new Map<bigint, PostedPoint[]>();
  for (const p of points) {
    const w = windowEnd(p.time + shift);
    m.set(w, [...(m.get(w) ?? []), p]);
  }
  for (const list of m.values()) list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return m;
}

/**
 * The windows both saw, after checking neither skipped one in the range they share. A window's
 * groups come as one post each, so the latest window may still be on its way: it is left out.
 */
function commonWindows(a: Map<bigint, unknown>, b: Map<bigint, unknown>): bigint[] {
  const lo = [a, b].map((m) => [...m.keys()].reduce((x, y) => (y < x ? y : x))).reduce((x, y) => (y > x ? y : x));
  const hi =
    [a, b].map((m) => [...m.keys()].reduce((x, y) => (y > x ? y : x))).reduce((x, y) => (y < x ? y : x)) - PERIOD;
  const out: bigint[] = [];
  for (let w = lo; w <= hi; w += PERIOD) {
    assert.ok(a.has(w) && b.has(w), `window ending ${w} missing on one side`);
    out.push(w);
  }
  return out;
}

describe('batch functions under a real |query() next to what Kapacitor offers for the same thing', () => {
  let influx: Influxd;
  let host: HostProcess;
  let kapacitor: Kapacitord;
  let collector: HttpCollector;
  let rows: Row[] = [];

  const query = (select: string, groupBy = "'host'"): string =>
    `batch\n    |query('${select}')\n        .period(${PERIOD_MS}ms)\n        .every(${PERIOD_MS}ms)\n        .align()\n        .groupBy(${groupBy})\n`;
  const post = (id: string): string => `    |httpPost('${collector.url(id)}')\n`;
  const from = (m: string): string => `"${DB}"."${RP}"."${m}"`;

  before(async () => {
    collector = await HttpCollector.start();
    influx = await Influxd.start();
    await influx.exec(`CREATE DATABASE ${DB}`);
    // Points from two windows ago until a minute from now: every window the tasks query is full.
    const now = BigInt(Date.now()) * MS;
    rows = seeded(16_004, (now / PERIOD - 2n) * PERIOD, 60_000);
    const lines = rows.map((r) => {
      const f = Object.entries(r.fields).map(([k, v]) => `${k}=${v}`);
      return `m,host=${r.host} ${f.join(',')} ${r.time}`;
    });
    const res = await fetch(`${influx.url}/write?db=${DB}&precision=ns`, { method: 'POST', body: lines.join('\n') });
    assert.equal(res.status, 204, await res.text());

    host = await HostProcess.start([], { udfDir: SANDBOX_UDF_DIR });
    kapacitor = await Kapacitord.start({ socketDir: host.socketDir, influxUrl: influx.url, tasksDir: null });
    const tasks: Record<string, string> = {
      cd: `${query(`SELECT value FROM ${from('m')}`)}    |changeDetect('value')\n${post('cd')}`,
      ed: `${query(`SELECT value FROM ${from('m')}`)}    @edgeDetectBatch()\n        .field('value')\n${post('ed')}`,
      cd_two: `${query(`SELECT value, mode FROM ${from('m')}`)}    |changeDetect('value', 'mode')\n${post('cd_two')}`,
      ed_two: `${query(`SELECT value, mode FROM ${from('m')}`)}    @edgeDetectBatch()\n        .field('value')\n        .field('mode')\n${post('ed_two')}`,
      // By time too, so that each result carries its window's start (without, InfluxDB 1.x dates it 1970).
      integral_influxql: `${query(`SELECT integral(watts) AS integral FROM ${from('m')}`, `time(${PERIOD_MS}ms), 'host'`)}${post('integral_influxql')}`,
      integral_ours: `${query(`SELECT watts FROM ${from('m')}`)}    @integralBatch()\n        .field('watts')\n${post('integral_ours')}`,
      outliers: `var q = ${query(`SELECT snr FROM ${from('m')}`)}\nq\n${post('raw')}\nq\n    @outliers()\n        .field('snr')\n        .scale(1.5)\n${post('outliers')}`,
    };
    for (const [id, script] of Object.entries(tasks)) {
      const err = await kapacitor.define(id, script, { type: 'batch', dbrp: [DB, RP] });
      assert.equal(err, '', `${id}: ${err}\n${script}`);
    }
    await kapacitor.waitExecuting(Object.keys(tasks));
  });

  after(async () => {
    await kapacitor?.stop();
    await host?.stop();
    await influx?.stop();
    await collector?.stop();
  });

  const windowsSeen =
    (shift = 0n) =>
    (ps: PostedPoint[]) =>
      byWindow(ps, shift).size >= WINDOWS + 2;

  it('@edgeDetectBatch emits the points changeDetect emits, window by window, state starting afresh in each', async () => {
    const cd = byWindow(await collector.waitUntil('cd', `${WINDOWS} windows`, windowsSeen()));
    const ed = byWindow(await collector.waitUntil('ed', `${WINDOWS} windows`, windowsSeen()));
    const shared = commonWindows(cd, ed);
    assert.ok(shared.length >= WINDOWS - 1, `${shared.length} windows`);
    for (const w of shared) {
      // Each window starts afresh: every host's first point in it comes out.
      for (const h of HOSTS) {
        const first = rows.find((r) => r.host === h && windowEnd(r.time) === w && r.fields['value'] !== undefined);
        assert.ok(
          first !== undefined && ed.get(w)?.some((p) => p.tags['host'] === h && p.time === first.time),
          `${h}, window ending ${w}`,
        );
      }
      assert.deepEqual(
        ed.get(w)?.map((p) => [p.name, p.tags, p.time, p.fields]),
        cd.get(w)?.map((p) => [p.name, p.tags, p.time, p.fields]),
        `window ending ${w}`,
      );
    }
  });

  it('@edgeDetectBatch and changeDetect agree on two watched fields, either missing now and then', async () => {
    const cd = byWindow(await collector.waitUntil('cd_two', `${WINDOWS} windows`, windowsSeen()));
    const ed = byWindow(await collector.waitUntil('ed_two', `${WINDOWS} windows`, windowsSeen()));
    for (const w of commonWindows(cd, ed)) {
      assert.deepEqual(
        ed.get(w)?.map((p) => [p.name, p.tags, p.time, p.fields]),
        cd.get(w)?.map((p) => [p.name, p.tags, p.time, p.fields]),
        `window ending ${w}`,
      );
    }
  });

  it("@integralBatch's total per host and window equals InfluxQL's integral() over the same query", async () => {
    const influxql = byWindow(await collector.waitUntil('integral_influxql', `${WINDOWS} windows`, windowsSeen()));
    // Ours is dated at the batch's end (the query's stop), InfluxQL's at the window's start.
    const ours = byWindow(await collector.waitUntil('integral_ours', `${WINDOWS} windows`, windowsSeen(-1n)), -1n);
    const shared = commonWindows(influxql, ours);
    assert.ok(shared.length >= WINDOWS - 1, `${shared.length} windows`);
    let sparse = 0;
    for (const w of shared) {
      const a = influxql.get(w) ?? [];
      const single = a.find((p) => p.tags['host'] === SPARSE);
      if (single !== undefined) {
        assert.equal(single.fields['integral'], 0);
        sparse++;
      }
      const b = ours.get(w) ?? [];
      assert.deepEqual(
        b.map((p) => [p.name, p.tags, p.time - PERIOD, Object.keys(p.fields)]),
        a.map((p) => [p.name, p.tags, p.time, Object.keys(p.fields)]),
      );
      a.forEach((p, i) => {
        const x = b[i]?.fields['integral'] as number;
        const y = p.fields['integral'] as number;
        assert.ok(Math.abs(x - y) <= 1e-9 * Math.abs(y), `${p.tags['host']} window ending ${w}: ${x} vs ${y}`);
      });
      // And both are the trapezoids over what was written in that window.
      for (const p of a) {
        const pts = rows.filter((r) => r.host === p.tags['host'] && windowEnd(r.time) === w);
        let area = 0;
        for (let i = 1; i < pts.length; i++) {
          const [u, v] = [pts[i - 1] as Row, pts[i] as Row];
          area += ((Number(u.fields['watts']) + Number(v.fields['watts'])) / 2) * (Number(v.time - u.time) / 1e9);
        }
        assert.ok(
          Math.abs(area - (p.fields['integral'] as number)) <= 1e-9 * area,
          `${area} vs ${p.fields['integral'] as number}`,
        );
      }
    }
    assert.ok(sparse > 0, 'a window with a single point of the sparse host');
  });

  it("@outliers returns exactly the points outside Tukey's fences (type 7 quartiles, k = 1.5) of each queried batch", async () => {
    // One post per host and window on both branches, an empty batch included: the k-th post
    // of a host on one is the same batch as the k-th on the other.
    const perHost = (ps: PostedPoint[], path: string): Map<string, PostedPoint[][]> => {
      const m = new Map<string, PostedPoint[][]>();
      for (const post of collector.posts(path)) {
        const h = post.rows[0]?.tags?.['host'] ?? '';
        m.set(h, [...(m.get(h) ?? []), ps.filter((p) => p.seq === post.seq)]);
      }
      return m;
    };
    const enough = (path: string) => (ps: PostedPoint[]) =>
      HOSTS.every((h) => (perHost(ps, path).get(h)?.length ?? 0) >= WINDOWS);
    const raw = perHost(await collector.waitUntil('raw', `${WINDOWS} batches a host`, enough('raw')), 'raw');
    const found = perHost(
      await collector.waitUntil('outliers', `${WINDOWS} batches a host`, enough('outliers')),
      'outliers',
    );
    let outliers = 0;
    let batches = 0;
    // Batches without outliers are passed on empty (the pairing above counts on it).
    let empty = 0;
    for (const h of HOSTS) {
      const rawBatches = raw.get(h) ?? [];
      const foundBatches = found.get(h) ?? [];
      for (let k = 0; k < Math.min(rawBatches.length, foundBatches.length); k++) {
        const batch = rawBatches[k] as PostedPoint[];
        // The batch the query returned is what was written for the host in one window.
        const w = windowEnd((batch[0] as PostedPoint).time);
        const written = rows.filter((r) => r.host === h && windowEnd(r.time) === w);
        assert.deepEqual(
          batch.map((p) => [p.time, p.fields['snr']]),
          written.map((r) => [r.time, Number(r.fields['snr'])]),
        );
        const values = batch.map((p) => p.fields['snr'] as number);
        const q1 = type7(values, 0.25);
        const q3 = type7(values, 0.75);
        const [low, high] = [q1 - 1.5 * (q3 - q1), q3 + 1.5 * (q3 - q1)];
        const expected = batch.filter((p) => (p.fields['snr'] as number) < low || (p.fields['snr'] as number) > high);
        assert.deepEqual(
          (foundBatches[k] as PostedPoint[]).map((p) => [p.name, p.tags, p.time, p.fields]),
          expected.map((p) => [p.name, p.tags, p.time, p.fields]),
          `${h}, window ending ${w}`,
        );
        outliers += expected.length;
        if (expected.length === 0) empty++;
        batches++;
      }
    }
    assert.ok(
      batches >= WINDOWS * HOSTS.length && outliers >= batches / 4 && empty > 0,
      `${outliers} outliers in ${batches} batches, ${empty} empty`,
    );
  });
});
