import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { outliers } from '../../udfs/index.js';
import { quantile } from '../../udfs/internal.js';
import type { Point } from '../../src/protocol/index.js';
import { Harness, o, plain, pt, runSplitBatches, SECOND, referenceOutliers } from '../helpers/index.js';
import { arbBatches } from './random-streams.js';

const batchOf = (
  group: string,
  vs: Array<number | bigint | string>,
): { group: string; tmax: bigint; points: Point[] } => ({
  group,
  tmax: BigInt(vs.length) * SECOND,
  points: vs.map((v, t) => pt({ time: t, group, fields: { v } })),
});

describe('outliers', () => {
  test('quartiles interpolate linearly between closest ranks (type 7)', () => {
    assert.equal(quantile([1, 2, 3, 4], 0.25), 1.75);
    assert.equal(quantile([1, 2, 3, 4], 0.75), 3.25);
    assert.equal(quantile([7], 0.25), 7);
  });

  test('a batch comes back with only the points outside the fences, framed with its metadata', () => {
    const h = new Harness(outliers).start([o.str('field', 'v')]);
    const res = h.batch(batchOf('host=r1', [10, 11, 12, 11, 10, 50, -30, 11n, 'x']));
    assert.deepEqual(
      res.map((r) => r.kind),
      ['begin', 'point', 'point', 'end'],
    );
    const begin = res[0];
    assert.equal(begin?.kind === 'begin' ? begin.begin.group : undefined, 'host=r1');
    assert.equal(begin?.kind === 'begin' ? begin.begin.size : undefined, 2n);
    assert.deepEqual(
      res.flatMap((r) => (r.kind === 'point' ? [r.point.fields['v']] : [])),
      [50, -30],
    );
    const end = res[3];
    assert.equal(end?.kind === 'end' ? end.end.tmax : undefined, 9n * SECOND);
  });

  test('a larger scale widens the fences', () => {
    // Q1 = 3, Q3 = 7: the upper fence is 13 with k = 1.5 and 23 with k = 4.
    const vs = [1, 2, 3, 4, 5, 6, 7, 8, 20];
    assert.equal(new Harness(outliers).start([o.str('field', 'v')]).batches([batchOf('', vs)]).length, 1);
    assert.equal(
      new Harness(outliers).start([o.str('field', 'v'), o.dbl('scale', 4)]).batches([batchOf('', vs)]).length,
      0,
    );
  });

  test('Init fails without field and for a negative scale', () => {
    assert.match(new Harness(outliers).init([]).error, /field/);
    assert.match(new Harness(outliers).init([o.str('field', 'v'), o.dbl('scale', -1)]).error, /scale/);
  });

  test('restore accepts the empty state of a snapshot and rejects anything else', () => {
    const h = new Harness(outliers).start([o.str('field', 'v')]);
    const bytes = h.snapshot();
    assert.equal(new Harness(outliers).start([o.str('field', 'v')]).restore(bytes).success, true);
    const bad = Buffer.from(new TextDecoder().decode(bytes).replace('"state":{}', '"state":{"x":1}'));
    assert.equal(new Harness(outliers).start([o.str('field', 'v')]).restore(bad).success, false);
  });
});

describe('outliers properties', () => {
  test('random batches give the outliers of the reference implementation', () => {
    fc.assert(
      fc.property(arbBatches, fc.constantFrom(0, 0.5, 1.5, 3), (batches, scale) => {
        const got = new Harness(outliers).start([o.str('field', 'v'), o.dbl('scale', scale)]).batches(batches);
        assert.deepEqual(plain(got), plain(batches.flatMap((b) => referenceOutliers('v', scale, b.points))));
      }),
      { numRuns: 300 },
    );
  });

  test('random batches split across snapshot and restore give exactly the unsplit output', () => {
    fc.assert(
      fc.property(arbBatches, fc.nat(), (batches, cut) => {
        const { whole, split } = runSplitBatches(outliers, [o.str('field', 'v')], batches, cut % (batches.length + 1));
        assert.deepEqual(plain(split), plain(whole));
      }),
      { numRuns: 100 },
    );
  });
});
