import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { integral, integralBatch } from '../../udfs/index.js';
import type { InitOption, Point } from '../../src/protocol/index.js';
import { Harness, o, plain, pt, runSplit, runSplitBatches, SECOND, referenceIntegral } from '../helpers/index.js';
import { arbBatches, arbNumericStream, close } from './random-streams.js';

const run = (options: InitOption[], points: Point[]): Point[] => new Harness(integral).start(options).feed(points);

describe('integral', () => {
  test('the stream mode emits the running trapezoidal total at every point, starting at 0', () => {
    const out = run(
      [o.str('field', 'w')],
      [pt({ time: 0, fields: { w: 0 } }), pt({ time: 2, fields: { w: 10n } }), pt({ time: 3, fields: { w: 10 } })],
    );
    assert.deepEqual(
      out.map((p) => p.fields['integral']),
      [0, 10, 20],
    );
  });

  test('watts over an hour with unit 1h give watt-hours', () => {
    const out = run(
      [o.str('field', 'watts'), o.dur('unit', 3600n * SECOND), o.str('as', 'wh')],
      [
        pt({ time: 0, fields: { watts: 100 } }),
        pt({ time: 1800, fields: { watts: 100 } }),
        pt({ time: 3600, fields: { watts: 100 } }),
      ],
    );
    assert.equal(out.at(-1)?.fields['wh'], 100);
    assert.deepEqual(Object.keys(out.at(-1)?.fields ?? {}), ['wh']);
  });

  test('a point older than the previous one of its group is skipped', () => {
    const out = run(
      [o.str('field', 'w')],
      [pt({ time: 10, fields: { w: 1 } }), pt({ time: 5, fields: { w: 1 } }), pt({ time: 12, fields: { w: 1 } })],
    );
    assert.deepEqual(
      out.map((p) => p.fields['integral']),
      [0, 2],
    );
  });

  test('the batch mode emits one total per batch at the batch tmax, framed as a batch of one', () => {
    const h = new Harness(integralBatch).start([o.str('field', 'w')]);
    const res = h.batch({
      group: 'g',
      tmax: 99n * SECOND,
      points: [pt({ time: 0, group: 'g', fields: { w: 1 } }), pt({ time: 4, group: 'g', fields: { w: 3 } })],
    });
    assert.deepEqual(
      res.map((r) => r.kind),
      ['begin', 'point', 'end'],
    );
    const first = res[0];
    assert.equal(first?.kind === 'begin' ? first.begin.size : undefined, 1n);
    const p = res[1]?.kind === 'point' ? res[1].point : undefined;
    assert.equal(p?.time, 99n * SECOND);
    assert.deepEqual({ ...p?.fields }, { integral: 8 });
    assert.deepEqual(p?.tags, { g: 'g' });
  });

  test('each batch starts from zero and an empty batch comes back empty', () => {
    const h = new Harness(integralBatch).start([o.str('field', 'w')]);
    const out = h.batches([
      {
        group: 'g',
        tmax: 2n * SECOND,
        points: [pt({ time: 0, group: 'g', fields: { w: 1 } }), pt({ time: 2, group: 'g', fields: { w: 1 } })],
      },
      { group: 'g', tmax: 3n * SECOND, points: [] },
      {
        group: 'g',
        tmax: 5n * SECOND,
        points: [pt({ time: 4, group: 'g', fields: { w: 2 } }), pt({ time: 5, group: 'g', fields: { w: 2 } })],
      },
    ]);
    assert.deepEqual(
      out.map((p) => p.fields['integral']),
      [2, 2],
    );
  });

  test('restore rejects a snapshot of the wrong shape', () => {
    const h = new Harness(integral).start([o.str('field', 'w')]);
    h.feed([pt({ time: 0, fields: { w: 1 } })]);
    const text = new TextDecoder().decode(h.snapshot()).replace(/"groups":\[\s*\[/, '"groups":[[1,');
    const res = new Harness(integral).start([o.str('field', 'w')]).restore(Buffer.from(text));
    assert.equal(res.success, false);
    assert.match(res.error, /group #0/);
  });
});

describe('integral properties', () => {
  const arbUnit = fc.constantFrom(SECOND, 60n * SECOND, 3600n * SECOND, 250_000_000n);

  test('random streams give the running totals of the reference implementation', () => {
    fc.assert(
      fc.property(arbUnit, arbNumericStream, (unit, points) => {
        const got = run([o.str('field', 'v'), o.dur('unit', unit)], points);
        const want = referenceIntegral({ field: 'v', unit }, points);
        assert.deepEqual(
          got.map((p) => [p.time, p.group]),
          want.map((w) => [w.time, w.group]),
        );
        got.forEach((p, i) =>
          assert.ok(close(p.fields['integral'] as number, (want[i] as { value: number }).value, 1e-9)),
        );
      }),
      { numRuns: 300 },
    );
  });

  test('random batches give one total per non-empty batch, as the reference computes it', () => {
    fc.assert(
      fc.property(arbBatches, (batches) => {
        const got = new Harness(integralBatch).start([o.str('field', 'v')]).batches(batches);
        const want = batches.flatMap((b) =>
          referenceIntegral({ field: 'v', unit: SECOND }, b.points)
            .slice(-1)
            .map((r) => ({ time: b.tmax, value: r.value })),
        );
        assert.deepEqual(
          got.map((p) => p.time),
          want.map((w) => w.time),
        );
        got.forEach((p, i) =>
          assert.ok(close(p.fields['integral'] as number, (want[i] as { value: number }).value, 1e-9)),
        );
      }),
      { numRuns: 200 },
    );
  });

  test('a random stream or batch sequence split across snapshot and restore gives exactly the unsplit output', () => {
    fc.assert(
      fc.property(arbNumericStream, arbBatches, fc.nat(), (points, batches, cut) => {
        const s = runSplit(integral, [o.str('field', 'v')], points, cut % (points.length + 1));
        assert.deepEqual(plain(s.split), plain(s.whole));
        const b = runSplitBatches(integralBatch, [o.str('field', 'v')], batches, cut % (batches.length + 1));
        assert.deepEqual(plain(b.split), plain(b.whole));
      }),
      { numRuns: 200 },
    );
  });
});
