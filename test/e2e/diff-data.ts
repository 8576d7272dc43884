/**
 * Seeded, varied input for the tests that run our functions next to Kapacitor's own nodes: a
 * few hosts with two lines each, irregular times with nanosecond parts, runs of states, fields
 * of every line-protocol type, and points that lack a watched field.
 */
import fc from 'fast-check';

export const SECOND = 1_000_000_000n;

/** A field value as line protocol writes it: `1i` int, `1` float, `"up"` string, `true` bool. */
export type LpValue = string;

export interface SeriesPoint {
  time: bigint;
  /** Field name -> line-protocol value. */
  fields: Record<string, LpValue>;
}

export interface Series {
  tags: Record<string, string>;
  points: SeriesPoint[];
}

/** `hosts` hosts times two lines: the tag sets, in a fixed order. */
export function tagSets(hosts: number): Array<Record<string, string>> {
  const out: Array<Record<string, string>> = [];
  for (let h = 0; h < hosts; h++) for (const line of ['l0', 'l1']) out.push({ host: `h${h}`, line });
  return out;
}

/** One line of line protocol for `measurement`. */
export function lineOf(measurement: string, tags: Record<string, string>, p: SeriesPoint): string {
  const t = Object.keys(tags)
    .sort()
    .map((k) => `,${k}=${tags[k] as string}`)
    .join('');
  const f = Object.entries(p.fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return `${measurement}${t} ${f} ${p.time}`;
}

/** All points of all series of the measurements as line protocol, merged in time order (ties: in the order given). */
export function linesInTimeOrder(measurements: Array<[string, Series[]]>): string[] {
  const all = measurements.flatMap(([m, series]) =>
    series.flatMap((s) => s.points.map((p) => ({ time: p.time, line: lineOf(m, s.tags, p) }))),
  );
  // A stable sort keeps ties in the order given.
  all.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return all.map((x) => x.line);
}

interface Step {
  gapMs: number;
  gapNs: number;
  change: boolean;
  pick: number;
  drop: number;
  x: number;
}

const arbSteps = (n: number): fc.Arbitrary<Step[]> =>
  fc.array(
    fc.record({
      gapMs: fc.integer({ min: 200, max: 9_000 }),
      gapNs: fc.integer({ min: 0, max: 999_999 }),
      change: fc.boolean(),
      pick: fc.nat({ max: 1_000_000 }),
      drop: fc.nat({ max: 99 }),
      x: fc.double({ min: -5, max: 5, noNaN: true }),
    }),
    { minLength: n, maxLength: n },
  );

/** Seeded steps for each series: the same seed gives the same data on every run. */
export function stepsFor(seed: number, series: number, n: number): Step[][] {
  return fc.sample(fc.array(arbSteps(n), { minLength: series, maxLength: series }), {
    seed,
    numRuns: 1,
  })[0] as Step[][];
}

/** Times from `start`, each gap between 0.2 and 9 s with a nanosecond part. */
function timesOf(start: bigint, steps: Step[]): bigint[] {
  let t = start;
  return steps.map((s) => (t += BigInt(s.gapMs) * 1_000_000n + BigInt(s.gapNs)));
}

/**
 * The values a mixed-type watched field takes: equal numbers of different types, ints a double
 * cannot tell apart, 0 and -0, and strings with spaces, commas, quotes and non-ASCII text.
 */
export const MIXED_VALUES: readonly LpValue[] = [
  '"up"',
  '"down"',
  '1i',
  '1',
  '0i',
  '0',
  '-0',
  'false',
  'true',
  '2.5',
  '-7i',
  '9007199254740992i',
  '9007199254740993i',
  '-9223372036854775808i',
  '0.30000000000000004',
  '1e-300',
  '"a b,c=d"',
  '"say \\"hi\\""',
  '"ünï ✓"',
];

/**
 * `value` of mixed types in runs (a run changes with probability 1/2), missing in about 8 % of
 * points; `mode` ('a'/'b') in runs, missing in about 10 %; an unwatched `seq` int and `note`
 * string on every point. Each series ends with value = mode = "END" one second after its last point.
 */
export function mixedSeries(seed: number, hosts: number, n: number, start: bigint): Series[] {
  const tags = tagSets(hosts);
  const steps = stepsFor(seed, tags.length, n);
  return tags.map((t, si) => {
    const st = steps[si] as Step[];
    const times = timesOf(start, st);
    let value = MIXED_VALUES[0] as LpValue;
    let mode = '"a"';
    const points = st.map((s, i): SeriesPoint => {
      if (s.change) value = MIXED_VALUES[s.pick % MIXED_VALUES.length] as LpValue;
      if (s.pick % 7 === 0) mode = mode === '"a"' ? '"b"' : '"a"';
      const fields: Record<string, LpValue> = { seq: `${i}i`, note: `"n${s.pick % 3}"` };
      if (s.drop >= 8) fields['value'] = value;
      if (s.drop % 10 !== 3) fields['mode'] = mode;
      return { time: times[i] as bigint, fields };
    });
    const last = times[times.length - 1] as bigint;
    points.push({ time: last + SECOND, fields: { seq: `${n}i`, note: '"end"', value: '"END"', mode: '"END"' } });
    return { tags: t, points };
  });
}

export const STATES = ['SHOWTIME', 'TRAINING', 'IDLE'] as const;

/**
 * A line state (`value`: one of {@link STATES}, in runs) with an unwatched `snr` float and
 * `errs` int; `value` missing in about 5 % of points. Each series ends with value "END".
 */
export function stateSeries(seed: number, hosts: number, n: number, start: bigint): Series[] {
  const tags = tagSets(hosts);
  const steps = stepsFor(seed, tags.length, n);
  return tags.map((t, si) => {
    const st = steps[si] as Step[];
    const times = timesOf(start, st);
    let state = 0;
    const points = st.map((s, i): SeriesPoint => {
      if (s.change && s.pick % 3 !== 0) state = (state + 1 + (s.pick % 4 === 0 ? 1 : 0)) % STATES.length;
      const fields: Record<string, LpValue> = { snr: `${(6 + s.x).toFixed(3)}`, errs: `${s.pick % 50}i` };
      if (s.drop >= 5) fields['value'] = `"${STATES[state] as string}"`;
      return { time: times[i] as bigint, fields };
    });
    const last = times[times.length - 1] as bigint;
    points.push({ time: last + SECOND, fields: { snr: '0.5', errs: '0i', value: '"END"' } });
    return { tags: t, points };
  });
}

/**
 * `snr` per series: floats on even-numbered hosts, ints on odd ones (a host keeps its type),
 * a slow walk with noise; missing in about 6 % of points (never the last).
 */
export function snrSeries(seed: number, hosts: number, n: number, start: bigint): Series[] {
  const tags = tagSets(hosts);
  const steps = stepsFor(seed, tags.length, n);
  return tags.map((t, si) => {
    const st = steps[si] as Step[];
    const times = timesOf(start, st);
    let level = 10 + si;
    const points = st.map((s, i): SeriesPoint => {
      level += s.x / 4;
      const fields: Record<string, LpValue> = { other: `"o${i % 4}"` };
      const missing = s.drop < 6 && i !== st.length - 1;
      if (!missing)
        fields['snr'] = Math.floor(si / 2) % 2 === 0 ? (level + s.x / 10).toFixed(4) : `${Math.round(level * 10)}i`;
      return { time: times[i] as bigint, fields };
    });
    return { tags: t, points };
  });
}

/** Parses a line-protocol value written by this module back to what Kapacitor holds. */
export function parseLp(v: LpValue): string | number | boolean {
  if (v.startsWith('"')) return v.slice(1, -1).replace(/\\(["\\])/g, '$1');
  if (v === 'true' || v === 'false') return v === 'true';
  if (v.endsWith('i')) return Number(v.slice(0, -1));
  return Number(v);
}

/** Go's type name for a line-protocol value (what `printf "%T"` shows in a template). */
export function goTypeOf(v: LpValue): string {
  if (v.startsWith('"')) return 'string';
  if (v === 'true' || v === 'false') return 'bool';
  return v.endsWith('i') ? 'int64' : 'float64';
}
