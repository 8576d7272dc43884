import type { FieldValue, Point } from '../../src/protocol/index.js';

/** edgeDetect's options, spelled out plainly for the reference. */
export interface EdgeReferenceOptions {
  fields: string[];
  previous?: string;
  durationField?: string;
  unit: bigint;
  transitions: Array<[string, string]>;
  hold: bigint;
  tolerance: number;
  emitFirst: boolean;
}

interface Snapshot {
  values: Map<string, FieldValue>;
  time: bigint;
}

/**
 * A deliberately plain edgeDetect: maps instead of slots, whole-stream loop, no snapshots.
 * Returns the emitted points in order, as `{ time, group, fields }`.
 */
export function referenceEdgeDetect(
  opts: EdgeReferenceOptions,
  points: Point[],
): Array<{ time: bigint; group: string; fields: Record<string, FieldValue> }> {
  const current = new Map<string, Snapshot>();
  const candidate = new Map<string, Snapshot>();
  const out: Array<{ time: bigint; group: string; fields: Record<string, FieldValue> }> = [];

  const equal = (a: FieldValue, b: FieldValue): boolean => {
    if (typeof a !== typeof b) return false;
    if (a === b) return true;
    if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= opts.tolerance;
    if (typeof a === 'bigint' && typeof b === 'bigint') return Math.abs(Number(a) - Number(b)) <= opts.tolerance;
    return false;
  };
  const changedFrom = (ref: Map<string, FieldValue>, seen: Map<string, FieldValue>): boolean =>
    [...seen].some(([k, v]) => !ref.has(k) || !equal(ref.get(k) as FieldValue, v));
  const asText = (v: FieldValue | undefined): string | undefined => (v === undefined ? undefined : String(v));
  const transitionOk = (from: FieldValue | undefined, to: FieldValue | undefined): boolean =>
    opts.transitions.length === 0 ||
    opts.transitions.some(([f, t]) => (f === '*' || f === asText(from)) && (t === '*' || t === asText(to)));

  for (const p of points) {
    const seen = new Map<string, FieldValue>();
    for (const f of opts.fields) if (Object.hasOwn(p.fields, f)) seen.set(f, p.fields[f] as FieldValue);
    if (seen.size === 0) continue;
    const field0 = opts.fields[0] as string;
    const state = current.get(p.group);
    if (state === undefined) {
      current.set(p.group, { values: seen, time: p.time });
      if (opts.emitFirst && transitionOk(undefined, seen.get(field0)))
        out.push({ time: p.time, group: p.group, fields: { ...p.fields } });
      continue;
    }
    if (!changedFrom(state.values, seen)) {
      candidate.delete(p.group);
      continue;
    }
    if (opts.hold > 0n) {
      const cand = candidate.get(p.group);
      if (cand === undefined || changedFrom(cand.values, seen)) candidate.set(p.group, { values: seen, time: p.time });
      const since = (candidate.get(p.group) as Snapshot).time;
      if (p.time - since < opts.hold) continue;
      candidate.delete(p.group);
    }
    current.set(p.group, { values: seen, time: p.time });
    if (!transitionOk(state.values.get(field0), seen.get(field0))) continue;
    const fields: Record<string, FieldValue> = { ...p.fields };
    if (opts.previous !== undefined) for (const [k, v] of state.values) fields[opts.previous + k] = v;
    if (opts.durationField !== undefined) fields[opts.durationField] = Number(p.time - state.time) / Number(opts.unit);
    out.push({ time: p.time, group: p.group, fields });
  }
  return out;
}
