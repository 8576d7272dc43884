import { defineUdf, numericField, opt, type Point } from '../src/sdk/index.js';

/**
 * The q-th quantile of sorted values by linear interpolation between closest ranks
 * (Hyndman & Fan type 7: numpy's default, Excel's QUARTILE.INC).
 */
export function quantile(sorted: readonly number[], q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

export default defineUdf({
  name: 'outliers',
  description: "returns each batch with only its outlying points (outside Tukey's fences Q1 - k*IQR, Q3 + k*IQR)",
  wants: 'batch',
  provides: 'batch',
  options: {
    field: opt.string().required().describe('the numeric field (int or double) to test'),
    scale: opt
      .double()
      .check((v) => (v >= 0 && Number.isFinite(v) ? undefined : 'must be a finite number >= 0'))
      .default(1.5)
      .describe('k, the fence distance in IQRs'),
  },
  example:
    'batch\n    |query(\'SELECT snr_margin_down_db FROM "adsl"."autogen"."adsl_line"\')\n        .period(1h)\n        .every(10m)\n        .groupBy(\'host\')\n    @outliers()\n        .field(\'snr_margin_down_db\')\n        .scale(1.5)',
  create({ options: o, log }) {
    let points: Point[] | undefined;
    let values: number[] = [];
    let strays = 0;

    return {
      point(p) {
        if (points === undefined) {
          // Only a peer that ignores our declared edge type sends stream points here.
          strays++;
          log.debug({ group: p.group, time: p.time.toString(), strays }, 'point outside a batch: dropped');
          return;
        }
        const x = numericField(p, o.field);
        if (x === undefined || !Number.isFinite(x)) return;
        points.push(p);
        values.push(x);
      },
      beginBatch() {
        points = [];
        values = [];
      },
      endBatch(_end, out) {
        const batch = points ?? [];
        const xs = values;
        points = undefined;
        values = [];
        if (xs.length === 0) return;
        const sorted = [...xs].sort((a, b) => a - b);
        const q1 = quantile(sorted, 0.25);
        const q3 = quantile(sorted, 0.75);
        const reach = o.scale * (q3 - q1);
        const low = q1 - reach;
        const high = q3 + reach;
        batch.forEach((p, i) => {
          const x = xs[i] as number;
          if (x < low || x > high) out.emit(p);
        });
      },
      // Between batches there is no state: the Session does not carry an open batch across a
      // snapshot either, so a snapshot is always taken with nothing buffered that could resume.
      snapshot() {
        return {};
      },
      restore(state) {
        if (state === null || typeof state !== 'object' || Array.isArray(state) || Object.keys(state).length !== 0) {
          throw new Error('outliers snapshot: expected an empty object (outliers keeps no state between batches)');
        }
      },
    };
  },
});
