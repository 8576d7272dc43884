import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ewma } from '../../udfs/index.js';
import type { InitOption, Point } from '../../src/protocol/index.js';
import { Harness, o, plain, pt, runSplit, SECOND, referenceEwma } from '../helpers/index.js';
import { arbNumericStream, close } from './random-streams.js';

const run = (options: InitOption[], points: Point[]): Point[] => new Harness(ewma).start(options).feed(points);
const values = (points: Point[], field = 'ewma'): unknown[] => points.map((p) => p.fields[field]);

describe('ewma', () => {
  test('with alpha each point moves the average by alpha of the distance, starting at the first value', () => {
    const out = run(
      [o.str('field', 'v'), o.dbl('alpha', 0.5)],
      [10, 20, 20].map((v, t) => pt({ time: t, fields: { v } })),
    );
    assert.deepEqual(values(out), [10, 15, 17.5]);
  });

  test('with halfLife a point one half-life later has half the weight, whatever the spacing', () => {
    const out = run(
      [o.str('field', 'v'), o.dur('halfLife', 10n * SECOND), o.str('as', 'smooth')],
      [pt({ time: 0, fields: { v: 0 } }), pt({ time: 10, fields: { v: 8n } }), pt({ time: 40, fields: { v: 0 } })],
    );
    // 0 -> 4 (alpha 1/2 after one half-life) -> 4 * 2^-3 = 0.5 (alpha 7/8 after three).
    assert.deepEqual(values(out, 'smooth'), [0, 4, 0.5]);
  });

  test('a point at the same time as the previous one has no weight under halfLife', () => {
    const out = run(
      [o.str('field', 'v'), o.dur('halfLife', SECOND)],
      [pt({ time: 3, fields: { v: 1 } }), pt({ time: 3, fields: { v: 100 } })],
    );
    assert.deepEqual(values(out), [1, 1]);
  });

  test('Init fails unless exactly one of alpha and halfLife is given, or when alpha is out of (0, 1]', () => {
    assert.match(new Harness(ewma).init([o.str('field', 'v')]).error, /alpha/);
    assert.match(
      new Harness(ewma).init([o.str('field', 'v'), o.dbl('alpha', 0.5), o.dur('halfLife', SECOND)]).error,
      /exactly one/,
    );
    assert.equal(new Harness(ewma).init([o.str('field', 'v'), o.dbl('alpha', 0)]).success, false);
    assert.equal(new Harness(ewma).init([o.str('field', 'v'), o.dbl('alpha', 1.5)]).success, false);
  });

  test('points without a finite numeric field are skipped and groups are kept apart', () => {
    const out = run(
      [o.str('field', 'v'), o.dbl('alpha', 0.5)],
      [
        pt({ time: 0, group: 'a', fields: { v: 2 } }),
        pt({ time: 1, group: 'b', fields: { v: 100 } }),
        pt({ time: 2, group: 'a', fields: { v: NaN } }),
        pt({ time: 3, group: 'a', fields: { v: 'x' } }),
        pt({ time: 4, group: 'a', fields: { v: 4 } }),
      ],
    );
    assert.deepEqual(
      out.map((p) => [p.group, p.fields['ewma']]),
      [
        ['a', 2],
        ['b', 100],
        ['a', 3],
      ],
    );
  });

  test('restore rejects a snapshot of the wrong shape', () => {
    const h = new Harness(ewma).start([o.str('field', 'v'), o.dbl('alpha', 0.5)]);
    const res = h.restore(
      Buffer.from(
        new TextDecoder()
          .decode(new Harness(ewma).start([o.str('field', 'v'), o.dbl('alpha', 0.5)]).snapshot())
          .replace(/\{"groups":\[\s*\]\}/, '{"groups":[["a","x"]]}'),
      ),
    );
    assert.equal(res.success, false);
    assert.match(res.error, /group #0/);
  });
});

describe('ewma properties', () => {
  const arbOpts = fc.oneof(
    fc
      .double({ min: 0.01, max: 1, noNaN: true })
      .map((alpha) => ({ init: [o.str('field', 'v'), o.dbl('alpha', alpha)], ref: { field: 'v', alpha } })),
    fc.integer({ min: 1, max: 20 }).map((s) => ({
      init: [o.str('field', 'v'), o.dur('halfLife', BigInt(s) * SECOND)],
      ref: { field: 'v', halfLife: BigInt(s) * SECOND },
    })),
  );

  test('random streams give the averages of the reference implementation', () => {
    fc.assert(
      fc.property(arbOpts, arbNumericStream, ({ init, ref }, points) => {
        const got = run(init, points);
        const want = referenceEwma(ref, points);
        assert.deepEqual(
          got.map((p) => [p.time, p.group]),
          want.map((w) => [w.time, w.group]),
        );
        got.forEach((p, i) =>
          assert.ok(close(p.fields['ewma'] as number, (want[i] as { value: number }).value, 1e-12)),
        );
      }),
      { numRuns: 300 },
    );
  });

  test('a random stream split across snapshot and restore gives exactly the unsplit output', () => {
    fc.assert(
      fc.property(arbOpts, arbNumericStream, fc.nat(), ({ init }, points, cut) => {
        const { whole, split } = runSplit(ewma, init, points, cut % (points.length + 1));
        assert.deepEqual(plain(split), plain(whole));
      }),
      { numRuns: 200 },
    );
  });
});
