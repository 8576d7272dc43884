/**
 * Our functions next to Kapacitor's own nodes: pairs of tasks in one real Kapacitor (built from
 * its Go module; its source is never copied into this repository) read the same stream, written
 * through Kapacitor's HTTP write endpoint, and post what comes out to a loopback collector. Each
 * pair must put out the same points: times, tags, fields and, where an alert's message shows
 * them (`printf "%T"`), the Go types of the fields.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HostProcess, HttpCollector, type PostedPoint, Kapacitord, SANDBOX_UDF_DIR } from '../helpers/index.js';
import {
  goTypeOf,
  linesInTimeOrder,
  mixedSeries,
  parseLp,
  SECOND,
  snrSeries,
  stateSeries,
  STATES,
  type Series,
} from './diff-data.js';

const DB = 'kdiff';
const RP = 'autogen';
/** 2026-11-01T00:00:00Z: fixed past times, so every run writes the same points. */
const T0 = 1_793_491_200n * SECOND;
const HOSTS = 4;
/** The mixed series, then one more whose single point comes after all others: the last out of every task. */
const MIXED = withFinal(mixedSeries(16_001, HOSTS, 160, T0));
const STATE = stateSeries(16_002, HOSTS, 160, T0);
const SNR = snrSeries(16_003, HOSTS, 120, T0);
const MA_SIZE = 5;

/**
 * An alert message that lists each field's Go type and value as Go prints it (`name=type:value;`
 * in name order): exact for int64 values beyond 2^53, which JSON numbers in JavaScript are not.
 */
const TYPES_MESSAGE = `'{{ range $k, $v := .Fields }}{{ $k }}={{ printf "%T:%v" $v $v }};{{ end }}'`;

function withFinal(series: Series[]): Series[] {
  const last = series.reduce(
    (t, s) => (s.points[s.points.length - 1]!.time > t ? s.points[s.points.length - 1]!.time : t),
    0n,
  );
  return [
    ...series,
    {
      tags: { host: 'zz', line: 'l0' },
      points: [{ time: last + 10n * SECOND, fields: { seq: '0i', note: '"fin"', value: '"FIN"', mode: '"FIN"' } }],
    },
  ];
}

function tagKey(tags: Record<string, string>): string {
  return Object.keys(tags)
    .sort()
    .map((k) => `${k}=${tags[k] as string}`)
    .join(',');
}

/** The message's fields as name -> [Go type, value as Go prints it]. */
function printed(p: PostedPoint): Record<string, [string, string]> | undefined {
  if (p.message === undefined) return undefined;
  const out: Record<string, [string, string]> = {};
  for (const part of p.message.split(';')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const colon = part.indexOf(':', eq);
    out[part.slice(0, eq)] = [part.slice(eq + 1, colon), part.slice(colon + 1)];
  }
  return out;
}

function typesOf(p: PostedPoint): Record<string, string> | undefined {
  const fields = printed(p);
  return fields === undefined ? undefined : Object.fromEntries(Object.entries(fields).map(([k, [t]]) => [k, t]));
}

/** A point as compared: group (tags), time, fields, field types when known; in group, then time order. */
function comparable(points: PostedPoint[]): Array<{
  name: string;
  tags: string;
  time: string;
  fields: Record<string, unknown>;
  types?: Record<string, [string, string]>;
}> {
  return points
    .map((p) => {
      const c: {
        name: string;
        tags: string;
        time: string;
        fields: Record<string, unknown>;
        types?: Record<string, [string, string]>;
      } = {
        name: p.name,
        tags: tagKey(p.tags),
        time: p.time.toString(),
        fields: p.fields,
      };
      const types = printed(p);
      if (types !== undefined) c.types = types;
      return c;
    })
    .sort((a, b) => (a.tags < b.tags ? -1 : a.tags > b.tags ? 1 : a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

function byGroup(points: PostedPoint[]): Map<string, PostedPoint[]> {
  const m = new Map<string, PostedPoint[]>();
  for (const p of points) {
    const k = tagKey(p.tags);
    m.set(k, [...(m.get(k) ?? []), p]);
  }
  for (const list of m.values()) list.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return m;
}

function lastTimes(series: Series[]): Map<string, bigint> {
  return new Map(series.map((s) => [tagKey(s.tags), (s.points[s.points.length - 1] as { time: bigint }).time]));
}

/** True once every series' last point has come out (each test's data ends with one that must). */
function allEnded(series: Series[]): (points: PostedPoint[]) => boolean {
  const ends = lastTimes(series);
  return (points) => {
    const seen = new Set(points.filter((p) => ends.get(tagKey(p.tags)) === p.time).map((p) => tagKey(p.tags)));
    return seen.size === ends.size;
  };
}

describe("our functions and Kapacitor's own nodes on the same stream", () => {
  let host: HostProcess;
  let kapacitor: Kapacitord;
  let collector: HttpCollector;

  const tasks: Record<string, string> = {};
  const stream = (measurement: string, groupBy: string[]): string =>
    `stream\n    |from()\n        .measurement('${measurement}')${groupBy.length > 0 ? `\n        .groupBy(${groupBy.map((g) => `'${g}'`).join(', ')})` : ''}\n`;
  const post = (id: string): string => `    |httpPost('${collector.url(id)}')\n`;
  const alertPost = (id: string): string =>
    `    |alert()\n        .crit(lambda: TRUE)\n        .message(${TYPES_MESSAGE})\n        .post('${collector.url(id)}')\n`;

  before(async () => {
    collector = await HttpCollector.start();
    host = await HostProcess.start([], { udfDir: SANDBOX_UDF_DIR });
    kapacitor = await Kapacitord.start({ socketDir: host.socketDir, tasksDir: null });

    const grouped = stream('mixed', ['host', 'line']);
    tasks['cd_grouped'] = `${grouped}    |changeDetect('value')\n${alertPost('cd_grouped')}`;
    tasks['ed_grouped'] = `${grouped}    @edgeDetect()\n        .field('value')\n${alertPost('ed_grouped')}`;
    tasks['cd_all'] = `${stream('mixed', [])}    |changeDetect('value')\n${post('cd_all')}`;
    tasks['ed_all'] = `${stream('mixed', [])}    @edgeDetect()\n        .field('value')\n${post('ed_all')}`;
    tasks['cd_two'] = `${stream('mixed', ['host'])}    |changeDetect('value', 'mode')\n${post('cd_two')}`;
    tasks['ed_two'] =
      `${stream('mixed', ['host'])}    @edgeDetect()\n        .field('value')\n        .field('mode')\n${post('ed_two')}`;
    tasks['none'] = `${grouped}${alertPost('none')}`;
    tasks['mirror'] = `${grouped}    @mirror()\n${alertPost('mirror')}`;
    const snr = stream('snr', ['host', 'line']);
    tasks['ma_builtin'] = `${snr}    |movingAverage('snr', ${MA_SIZE})\n${alertPost('ma_builtin')}`;
    tasks['ma_ours'] =
      `${snr}    @movingAverage()\n        .field('snr')\n        .size(${MA_SIZE})\n        .full(TRUE)\n        .as('movingAverage')\n${alertPost('ma_ours')}`;
    // Every measurement of the database: by measurement too, or one state across measurements.
    const everything = "stream\n    |from()\n        .groupBy('host', 'line')\n";
    tasks['cd_byname'] = `${everything}        .groupByMeasurement()\n    |changeDetect('value')\n${post('cd_byname')}`;
    tasks['ed_byname'] =
      `${everything}        .groupByMeasurement()\n    @edgeDetect()\n        .field('value')\n${post('ed_byname')}`;
    tasks['cd_across'] = `${everything}    |changeDetect('value')\n${post('cd_across')}`;
    tasks['ed_across'] = `${everything}    @edgeDetect()\n        .field('value')\n${post('ed_across')}`;
    const snrByHost = stream('snr', ['host']);
    tasks['ma_builtin_host'] = `${snrByHost}    |movingAverage('snr', ${MA_SIZE})\n${post('ma_builtin_host')}`;
    tasks['ma_ours_host'] =
      `${snrByHost}    @movingAverage()\n        .field('snr')\n        .size(${MA_SIZE})\n        .full(TRUE)\n        .as('movingAverage')\n${post('ma_ours_host')}`;
    const tracked = STATES.map(
      (s) =>
        `    |stateDuration(lambda: "value" == '${s}')\n        .as('d_${s}')\n    |stateCount(lambda: "value" == '${s}')\n        .as('c_${s}')\n`,
    ).join('');
    tasks['state_tracked'] = `${stream('line_state', ['host', 'line'])}${tracked}${post('state_tracked')}`;
    tasks['ed_duration'] =
      `${stream('line_state', ['host', 'line'])}    @edgeDetect()\n        .field('value')\n        .previous('prev_')\n        .durationField('prev_duration')\n${post('ed_duration')}`;

    for (const [id, script] of Object.entries(tasks)) {
      const err = await kapacitor.define(id, script, { type: 'stream', dbrp: [DB, RP] });
      assert.equal(err, '', `${id}: ${err}\n${script}`);
    }
    await kapacitor.waitExecuting(Object.keys(tasks));
    // One stream, all measurements interleaved in time order.
    const lines = linesInTimeOrder([
      ['mixed', MIXED],
      ['line_state', STATE],
      ['snr', SNR],
    ]);
    for (let i = 0; i < lines.length; i += 1000) await kapacitor.write(DB, RP, lines.slice(i, i + 1000));
    // Written last: the final point of the tasks that read every measurement.
    await kapacitor.write(DB, RP, [`fin,host=zz,line=l9 value="FIN" ${T0 + 100_000n * SECOND}`]);
  });

  after(async () => {
    await kapacitor?.stop();
    await host?.stop();
    await collector?.stop();
  });

  it('changeDetect and @edgeDetect emit the same points, types included, per host and line over mixed-type values with the field missing now and then', async () => {
    const done = allEnded(MIXED);
    const cd = await collector.waitUntil('cd_grouped', 'every series ended', done);
    const ed = await collector.waitUntil('ed_grouped', 'every series ended', done);
    assert.deepEqual(comparable(ed), comparable(cd));
    const inputs = MIXED.reduce((n, s) => n + s.points.length, 0);
    // Not everything passes, not only the first points: the comparison has something to compare.
    assert.ok(cd.length > MIXED.length * 10 && cd.length < inputs * 0.8, `${cd.length} of ${inputs}`);
    // Type-strict: an int and a float of the same number are a change, in both.
    const seen = new Set<string>();
    for (const list of byGroup(cd).values()) {
      for (let i = 1; i < list.length; i++) {
        const [a, b] = [list[i - 1] as PostedPoint, list[i] as PostedPoint];
        if (a.fields['value'] === b.fields['value']) seen.add(`${typesOf(a)?.['value']}->${typesOf(b)?.['value']}`);
      }
    }
    assert.ok(seen.has('int64->float64') || seen.has('float64->int64'), [...seen].join(' '));
    // Ints a double cannot tell apart are different values, in both.
    const big = cd.map((p) => printed(p)?.['value']?.[1]).filter((v) => v?.startsWith('900719925474099'));
    assert.ok(big.includes('9007199254740992') && big.includes('9007199254740993'), big.join(' '));
    assert.deepEqual(collector.rejected, []);
  });

  it('changeDetect and @edgeDetect agree without a groupBy, where every series shares one state', async () => {
    const fin = (ps: PostedPoint[]): boolean => ps.some((p) => p.fields['value'] === 'FIN');
    const cd = await collector.waitUntil('cd_all', 'the final point', fin);
    const ed = await collector.waitUntil('ed_all', 'the final point', fin);
    assert.deepEqual(comparable(ed), comparable(cd));
    assert.ok(new Set(cd.map((p) => tagKey(p.tags))).size === MIXED.length, 'every series has points out');
    assert.ok(cd.length > 50, `${cd.length}`);
  });

  it('changeDetect and @edgeDetect agree on two watched fields, either of which may be missing, grouped by host only', async () => {
    const fin = (ps: PostedPoint[]): boolean => ps.some((p) => p.fields['value'] === 'FIN');
    const cd = await collector.waitUntil('cd_two', 'the final point', fin);
    const ed = await collector.waitUntil('ed_two', 'the final point', fin);
    assert.deepEqual(comparable(ed), comparable(cd));
    assert.ok(
      cd.some((p) => p.fields['value'] === undefined) && cd.some((p) => p.fields['mode'] === undefined),
      'points without one of the fields came out',
    );
  });

  it('changeDetect and @edgeDetect agree over every measurement, grouped by measurement too or sharing one state across measurements', async () => {
    const fin = (ps: PostedPoint[]): boolean => ps.some((p) => p.name === 'fin');
    const results: Record<string, PostedPoint[]> = {};
    for (const id of ['cd_byname', 'ed_byname', 'cd_across', 'ed_across'])
      results[id] = await collector.waitUntil(id, 'the final point', fin);
    assert.deepEqual(comparable(results['ed_byname'] ?? []), comparable(results['cd_byname'] ?? []));
    assert.deepEqual(comparable(results['ed_across'] ?? []), comparable(results['cd_across'] ?? []));
    // By measurement, each measurement's changes are those of a task on that measurement alone.
    const alone = comparable(collector.points('cd_grouped')).map(({ name, tags, time }) => ({ name, tags, time }));
    const mixedOnly = comparable((results['ed_byname'] ?? []).filter((p) => p.name === 'mixed')).map(
      ({ name, tags, time }) => ({ name, tags, time }),
    );
    assert.deepEqual(mixedOnly, alone);
    // Across measurements, one measurement's points change the state the other's are compared with.
    const names = new Set((results['ed_across'] ?? []).map((p) => p.name));
    assert.deepEqual([...names].sort(), ['fin', 'line_state', 'mixed']);
    const across = comparable((results['ed_across'] ?? []).filter((p) => p.name === 'mixed')).map(
      ({ name, tags, time }) => ({ name, tags, time }),
    );
    assert.notDeepEqual(across, mixedOnly);
  });

  it('@mirror puts out every point exactly as a task without a UDF does, types included', async () => {
    const done = allEnded(MIXED);
    const none = await collector.waitUntil('none', 'every series ended', done);
    const mirror = await collector.waitUntil('mirror', 'every series ended', done);
    assert.deepEqual(comparable(mirror), comparable(none));
    assert.equal(
      none.length,
      MIXED.reduce((n, s) => n + s.points.length, 0),
    );
    // What came out is what was written, with line protocol's types.
    const written = new Map(
      MIXED.flatMap((s) => s.points.map((p) => [`${tagKey(s.tags)}@${p.time}`, p.fields] as const)),
    );
    for (const p of mirror) {
      const fields = written.get(`${tagKey(p.tags)}@${p.time}`);
      assert.ok(fields !== undefined, `unexpected point ${tagKey(p.tags)} ${p.time}`);
      assert.deepEqual(p.fields, Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, parseLp(v)])));
      assert.deepEqual(typesOf(p), Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, goTypeOf(v)])));
      // Ints exactly, beyond 2^53 too.
      for (const [k, v] of Object.entries(fields))
        if (goTypeOf(v) === 'int64') assert.equal(printed(p)?.[k]?.[1], v.slice(0, -1));
    }
  });

  it('the built-in movingAverage and @movingAverage().size(n).full(TRUE) give the same averages at the same times, int and float series alike', async () => {
    const done = allEnded(SNR);
    const builtin = await collector.waitUntil('ma_builtin', 'every series ended', done);
    const ours = await collector.waitUntil('ma_ours', 'every series ended', done);
    const b = byGroup(builtin);
    const o = byGroup(ours);
    let duplicates = 0;
    let compared = 0;
    for (const series of SNR) {
      const key = tagKey(series.tags);
      // A point without the field makes the built-in put out its last average again, at that
      // average's time (it logs the missing field and emits anyway); @movingAverage skips the
      // point. Each such repeat is an exact copy of the point before it.
      let numeric = 0;
      let expectedRepeats = 0;
      for (const p of series.points) {
        if (p.fields['snr'] !== undefined) numeric++;
        else if (numeric >= MA_SIZE) expectedRepeats++;
      }
      const list = b.get(key) ?? [];
      const kept = list.filter((p, i) => i === 0 || p.time !== (list[i - 1] as PostedPoint).time);
      assert.equal(list.length - kept.length, expectedRepeats, key);
      for (let i = 1; i < list.length; i++) {
        if (list[i]?.time === list[i - 1]?.time) assert.deepEqual(list[i]?.fields, list[i - 1]?.fields);
      }
      duplicates += expectedRepeats;
      const mine = o.get(key) ?? [];
      assert.equal(mine.length, numeric - MA_SIZE + 1, key);
      assert.deepEqual(
        mine.map((p) => [p.name, p.time, Object.keys(p.fields)]),
        kept.map((p) => [p.name, p.time, Object.keys(p.fields)]),
      );
      mine.forEach((p, i) => {
        const x = p.fields['movingAverage'] as number;
        const y = kept[i]?.fields['movingAverage'] as number;
        // A float, for int input too, from both.
        assert.deepEqual(
          [typesOf(p), typesOf(kept[i] as PostedPoint)],
          [{ movingAverage: 'float64' }, { movingAverage: 'float64' }],
        );
        // The built-in keeps a plain running sum, ours a compensated one: equal to rounding.
        assert.ok(Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y)), `${key} ${p.time}: ${x} vs ${y}`);
        compared++;
      });
    }
    assert.ok(duplicates > 0 && compared > SNR.length * 50, `${duplicates} repeats, ${compared} compared`);
    // The built-in logs each point it could not use.
    assert.ok(kapacitor.errorLines().some((l) => l.includes('task=ma_builtin') && l.includes('missing from point')));
  });

  it("with a groupBy coarser than the series, both average a host's lines together; the built-in's points carry only the group's tags, ours the point's", async () => {
    // The last point written of each host's series set must come out of both.
    const last = new Map<string, bigint>();
    for (const s of SNR) {
      const t = (s.points[s.points.length - 1] as { time: bigint }).time;
      const h = s.tags['host'] as string;
      if ((last.get(h) ?? 0n) < t) last.set(h, t);
    }
    const done = (ps: PostedPoint[]): boolean =>
      [...last].every(([h, t]) => ps.some((p) => p.tags['host'] === h && p.time === t));
    const builtin = await collector.waitUntil('ma_builtin_host', 'every host ended', done);
    const ours = await collector.waitUntil('ma_ours_host', 'every host ended', done);
    assert.ok(builtin.every((p) => Object.keys(p.tags).join() === 'host'));
    assert.ok(ours.every((p) => Object.keys(p.tags).sort().join() === 'host,line'));
    // Same averages at the same times, once the built-in's repeats (see above) are left out.
    const strip = (ps: PostedPoint[]): Array<[string, bigint]> =>
      [...byGroup(ps.map((p) => ({ ...p, tags: { host: p.tags['host'] as string } }))).values()].flatMap((list) =>
        list
          .filter((p, i) => i === 0 || p.time !== (list[i - 1] as PostedPoint).time)
          .map((p): [string, bigint] => [p.tags['host'] as string, p.time]),
      );
    assert.deepEqual(strip(ours), strip(builtin));
    const value = new Map(builtin.map((p) => [`${p.tags['host']}@${p.time}`, p.fields['movingAverage'] as number]));
    for (const p of ours) {
      const y = value.get(`${p.tags['host']}@${p.time}`) as number;
      assert.ok(Math.abs((p.fields['movingAverage'] as number) - y) <= 1e-9 * Math.max(1, Math.abs(y)));
    }
  });

  it("@edgeDetect's previous state and its duration agree with stateDuration and stateCount run by run", async () => {
    const done = allEnded(STATE);
    const tracked = byGroup(await collector.waitUntil('state_tracked', 'every series ended', done));
    const changes = byGroup(await collector.waitUntil('ed_duration', 'every series ended', done));
    assert.equal(changes.size, STATE.length);
    let compared = 0;
    for (const s of STATE) {
      const key = tagKey(s.tags);
      const st = tracked.get(key) ?? [];
      const ed = changes.get(key) ?? [];
      // stateDuration drops a point without the field, as @edgeDetect skips it.
      assert.equal(st.length, s.points.filter((p) => p.fields['value'] !== undefined).length);
      // Where a run of one state begins, Kapacitor counts 1 and 0 s; @edgeDetect emits exactly there.
      const starts = st.filter((p, i) => i === 0 || p.fields['value'] !== (st[i - 1] as PostedPoint).fields['value']);
      for (const p of starts) {
        const state = p.fields['value'] as string;
        if (state === 'END') continue;
        assert.equal(p.fields[`c_${state}`], 1, `${key} ${p.time}`);
        assert.equal(p.fields[`d_${state}`], 0, `${key} ${p.time}`);
      }
      assert.deepEqual(
        ed.map((p) => [p.time, p.fields['value']]),
        starts.map((p) => [p.time, p.fields['value']]),
      );
      // prev_duration = Kapacitor's duration at the run's last point + the time to the change.
      for (let i = 1; i < ed.length; i++) {
        const change = ed[i] as PostedPoint;
        const prev = change.fields['prev_value'] as string;
        const last = st.filter((p) => p.time < change.time).pop() as PostedPoint;
        assert.equal(last.fields['value'], prev);
        assert.equal(
          last.fields[`c_${prev}`],
          st.filter((p) => p.time <= last.time && p.time >= (ed[i - 1] as PostedPoint).time).length,
        );
        const expected = (last.fields[`d_${prev}`] as number) + Number(change.time - last.time) / 1e9;
        assert.ok(
          Math.abs((change.fields['prev_duration'] as number) - expected) < 1e-6,
          `${key} ${change.time}: ${change.fields['prev_duration'] as number} vs ${expected}`,
        );
        compared++;
      }
    }
    assert.ok(compared > STATE.length * 10, `${compared}`);
  });
});
