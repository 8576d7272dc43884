import type { Point } from '../../src/protocol/index.js';

/**
 * Plain reference implementations of the numeric functions: whole-stream loops over arrays,
 * every result recomputed from scratch, no snapshots. Each returns `{ time, group, value }` per
 * emitted point.
 */
export interface RefOut {
  time: bigint;
  group: string;
  value: number;
}

function numeric(p: Point, field: string): number | undefined {
  if (!Object.hasOwn(p.fields, field)) return undefined;
  const v = p.fields[field];
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return undefined;
}

export function referenceMovingAverage(
  opts: { field: string; size?: number; period?: bigint; full: boolean },
  points: Point[],
): RefOut[] {
  const windows = new Map<string, Array<{ t: bigint; v: number }>>();
  const out: RefOut[] = [];
  for (const p of points) {
    const v = numeric(p, opts.field);
    if (v === undefined) continue;
    let w = [...(windows.get(p.group) ?? []), { t: p.time, v }];
    if (opts.period !== undefined) {
      const period = opts.period;
      while (w.length > 0 && (w[0] as { t: bigint }).t <= p.time - period) w = w.slice(1);
    }
    if (opts.size !== undefined) w = w.slice(Math.max(0, w.length - opts.size));
    windows.set(p.group, w);
    if (opts.full && w.length < (opts.size ?? 0)) continue;
    let sum = 0;
    for (const e of w) sum += e.v;
    out.push({ time: p.time, group: p.group, value: sum / w.length });
  }
  return out;
}

export function referenceEwma(opts: { field: string; alpha?: number; halfLife?: bigint }, points: Point[]): RefOut[] {
  const last = new Map<string, { e: number; t: bigint }>();
  const out: RefOut[] = [];
  for (const p of points) {
    const x = numeric(p, opts.field);
    if (x === undefined || !Number.isFinite(x)) continue;
    const prev = last.get(p.group);
    let e = x;
    let t = p.time;
    if (prev !== undefined) {
      const dt = p.time > prev.t ? Number(p.time - prev.t) : 0;
      const a = opts.alpha ?? 1 - Math.pow(2, -dt / Number(opts.halfLife));
      e = a * x + (1 - a) * prev.e;
      t = p.time > prev.t ? p.time : prev.t;
    }
    last.set(p.group, { e, t });
    out.push({ time: p.time, group: p.group, value: e });
  }
  return out;
}

/** Stream integral: the running total after each accepted point. */
export function referenceIntegral(opts: { field: string; unit: bigint }, points: Point[]): RefOut[] {
  const seen = new Map<string, Array<{ t: bigint; v: number }>>();
  const out: RefOut[] = [];
  for (const p of points) {
    const v = numeric(p, opts.field);
    if (v === undefined || !Number.isFinite(v)) continue;
    const list = seen.get(p.group) ?? [];
    const prev = list.at(-1);
    if (prev !== undefined && p.time < prev.t) continue;
    list.push({ t: p.time, v });
    seen.set(p.group, list);
    let total = 0;
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1] as { t: bigint; v: number };
      const b = list[i] as { t: bigint; v: number };
      total += ((a.v + b.v) * Number(b.t - a.t)) / 2 / Number(opts.unit);
    }
    out.push({ time: p.time, group: p.group, value: total });
  }
  return out;
}

/** Tukey fences with type-7 quartiles (1-based rank h = (n - 1)p + 1). */
export function referenceOutliers(field: string, scale: number, batch: Point[]): Point[] {
  const xs = batch.flatMap((p) => {
    const v = numeric(p, field);
    return v === undefined || !Number.isFinite(v) ? [] : [v];
  });
  if (xs.length === 0) return [];
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => {
    const h = (s.length - 1) * p + 1;
    const k = Math.floor(h);
    const below = s[k - 1] as number;
    const above = k < s.length ? (s[k] as number) : below;
    return below + (h - k) * (above - below);
  };
  const q1 = q(0.25);
  const q3 = q(0.75);
  return batch.filter((p) => {
    const v = numeric(p, field);
    return v !== undefined && Number.isFinite(v) && (v < q1 - scale * (q3 - q1) || v > q3 + scale * (q3 - q1));
  });
}
