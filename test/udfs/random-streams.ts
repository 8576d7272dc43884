import fc from 'fast-check';
import type { FieldValue, Point } from '../../src/protocol/index.js';
import { pt, type BatchSpec } from '../helpers/index.js';

/** A value of field `v`: mostly numbers (int and double), sometimes a string, a bool or nothing. */
const arbV: fc.Arbitrary<FieldValue | undefined> = fc.oneof(
  { weight: 5, arbitrary: fc.double({ min: -1000, max: 1000, noNaN: true }) },
  { weight: 3, arbitrary: fc.integer({ min: -1000, max: 1000 }).map((n) => BigInt(n)) },
  { weight: 1, arbitrary: fc.constantFrom<FieldValue>('text', true) },
  { weight: 2, arbitrary: fc.constant(undefined) },
);

/** Interleaved groups a/b/c with non-decreasing times (gaps of 0..5 s) and the value in field `v`. */
export const arbNumericStream: fc.Arbitrary<Point[]> = fc
  .array(fc.record({ dt: fc.integer({ min: 0, max: 5 }), group: fc.constantFrom('a', 'b', 'c'), v: arbV }), {
    maxLength: 120,
  })
  .map((rows) => {
    let t = 0;
    return rows.map((r) => {
      t += r.dt;
      const fields: Record<string, FieldValue> = { other: 'x' };
      if (r.v !== undefined) fields['v'] = r.v;
      return pt({ time: t, group: r.group, fields });
    });
  });

/** Batches of one group each (a or b), consecutive in time, each with 0..15 points. */
export const arbBatches: fc.Arbitrary<BatchSpec[]> = fc
  .array(
    fc.tuple(fc.constantFrom('a', 'b'), fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), arbV), { maxLength: 15 })),
    { maxLength: 8 },
  )
  .map((list) => {
    let t = 0;
    return list.map(([group, rows]) => {
      const points = rows.map(([dt, v]) => {
        t += dt;
        const fields: Record<string, FieldValue> = {};
        if (v !== undefined) fields['v'] = v;
        return pt({ time: t, group, fields });
      });
      t += 1;
      return { group, points, tmax: BigInt(t) * 1_000_000_000n };
    });
  });

/** `a` and `b` agree to `rel` relative to the larger magnitude (or absolutely, below 1). */
export function close(a: number, b: number, rel: number): boolean {
  if (Object.is(a, b)) return true;
  return Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
}
