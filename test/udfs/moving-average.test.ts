import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { movingAverage } from '../../udfs/index.js';
import type { InitOption, Point } from '../../src/protocol/index.js';
import { directInstance, Harness, o, plain, pt, runSplit, SECOND, referenceMovingAverage } from '../helpers/index.js';
import { arbNumericStream, close } from './random-streams.js';

const run = (options: InitOption[], points: Point[]): Point[] => new Harness(movingAverage).start(options).feed(points);

describe('movingAverage', () => {
  test("Kapacitor's example agent case gives 0.9 for group a and 1.9 for group b at t=10s", () => {
    const points: Point[] = [];
    for (let t = 0; t < 12; t++) {
      const a = t < 10 ? 1 : 0;
      const b = t < 10 ? 2 : t === 10 ? 1 : 0;
      points.push(pt({ time: t, group: 'group=a', tags: { group: 'a' }, fields: { value: a } }));
      points.push(pt({ time: t, group: 'group=b', tags: { group: 'b' }, fields: { value: b } }));
    }
    assert.equal(points.length, 24);
    const out = run([o.str('field', 'value'), o.int('size', 10), o.str('as', 'mean')], points);
    assert.equal(out.length, 24);
    const at10 = out.filter((p) => p.time === 10n * SECOND);
    assert.deepEqual(
      at10.map((p) => [p.tags['group'], p.fields['mean']]),
      [
        ['a', 0.9],
        ['b', 1.9],
      ],
    );
  });

  test('the output keeps the point metadata and carries only the as field, named avg by default', () => {
    const input = pt({
      time: 5,
      group: 'host=r1',
      tags: { host: 'r1' },
      name: 'adsl_line',
      fields: { v: 3n, other: 'x' },
    });
    const out = run([o.str('field', 'v'), o.int('size', 3)], [input]);
    assert.equal(out.length, 1);
    const p = out[0] as Point;
    assert.deepEqual({ ...p.fields }, { avg: 3 });
    assert.deepEqual(
      [p.time, p.name, p.database, p.retentionPolicy, p.group, p.dimensions, p.tags, p.byName],
      [
        input.time,
        input.name,
        input.database,
        input.retentionPolicy,
        input.group,
        input.dimensions,
        input.tags,
        input.byName,
      ],
    );
  });

  test('keepFields keeps the input fields next to the average', () => {
    const out = run(
      [o.str('field', 'v'), o.int('size', 3), o.bool('keepFields', true)],
      [pt({ time: 0, fields: { v: 2, other: 'x' } })],
    );
    assert.deepEqual({ ...out[0]?.fields }, { v: 2, other: 'x', avg: 2 });
  });

  test('Init fails without size or period, and for full without size', () => {
    assert.match(new Harness(movingAverage).init([o.str('field', 'v')]).error, /size/);
    const full = new Harness(movingAverage).init([o.str('field', 'v'), o.dur('period', SECOND), o.bool('full', true)]);
    assert.equal(full.success, false);
    assert.match(full.error, /full/);
    assert.equal(new Harness(movingAverage).init([o.str('field', 'v'), o.int('size', 0)]).success, false);
  });

  test('full emits only once the count window is full', () => {
    const input = [1, 2, 3, 4].map((v, t) => pt({ time: t, fields: { v } }));
    const out = run([o.str('field', 'v'), o.int('size', 3), o.bool('full', true)], input);
    assert.deepEqual(
      out.map((p) => p.fields['avg']),
      [2, 3],
    );
  });

  test('a point without the field, or with a non-numeric one, is skipped rather than read as 0', () => {
    const input = [
      pt({ time: 0, fields: { v: 4 } }),
      pt({ time: 1, fields: { w: 1 } }),
      pt({ time: 2, fields: { v: 'x' } }),
      pt({ time: 3, fields: { v: 2n } }),
    ];
    const out = run([o.str('field', 'v'), o.int('size', 5)], input);
    assert.deepEqual(
      out.map((p) => p.fields['avg']),
      [4, 3],
    );
  });

  test('a period window holds the points with time in (t - period, t]', () => {
    const input = [0, 5, 10, 12].map((t) => pt({ time: t, fields: { v: t } }));
    const out = run([o.str('field', 'v'), o.dur('period', 10n * SECOND)], input);
    // At t=10 the point at 0 is out (0 <= 10 - 10); at 12, 5 is still in (5 > 2).
    assert.deepEqual(
      out.map((p) => p.fields['avg']),
      [0, 2.5, 7.5, 9],
    );
  });

  test('with both size and period the window is whichever is smaller', () => {
    const input = [0, 1, 2, 3, 20].map((t) => pt({ time: t, fields: { v: t } }));
    const out = run([o.str('field', 'v'), o.int('size', 2), o.dur('period', 10n * SECOND)], input);
    assert.deepEqual(
      out.map((p) => p.fields['avg']),
      [0, 0.5, 1.5, 2.5, 20],
    );
  });

  test('after ten million points of wildly varying magnitude the average matches a fresh recomputation to 1e-9', () => {
    const size = 500;
    const instance = directInstance(movingAverage, [o.str('field', 'v'), o.int('size', size)]);
    const window: number[] = [];
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    let last = NaN;
    const out = { emit: (p: Point) => void (last = p.fields['avg'] as number) };
    let checks = 0;
    const n = 10_000_000;
    for (let i = 0; i < n; i++) {
      // Phases of 2000 points alternate between huge (1e6..1e9) and tiny (1e-3..1) values: once a
      // huge phase has left the window, a plain running sum still carries its rounding error.
      const huge = Math.floor(i / 2000) % 2 === 0;
      const v = random() * 10 ** (huge ? 6 + Math.floor(random() * 4) : -3 + Math.floor(random() * 4));
      instance.point(pt({ time: BigInt(i), fields: { v } }), out);
      window.push(v);
      if (window.length > size) window.shift();
      if (i % 2000 === 1999) {
        const fresh = window.reduce((s, x) => s + x, 0) / window.length;
        assert.ok(Math.abs(last - fresh) <= 1e-9 * Math.abs(fresh), `point ${i}: ${last} vs ${fresh}`);
        checks++;
      }
    }
    assert.equal(checks, n / 2000);
  });
});

describe('movingAverage properties', () => {
  const arbOpts = fc
    .record({
      size: fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
      period: fc.option(fc.integer({ min: 1, max: 12 }), { nil: undefined }),
      full: fc.boolean(),
    })
    .filter((r) => r.size !== undefined || r.period !== undefined)
    .map((r) => {
      const full = r.full && r.size !== undefined;
      const init: InitOption[] = [o.str('field', 'v'), o.bool('full', full)];
      if (r.size !== undefined) init.push(o.int('size', r.size));
      if (r.period !== undefined) init.push(o.dur('period', BigInt(r.period) * SECOND));
      const ref: { field: string; size?: number; period?: bigint; full: boolean } = { field: 'v', full };
      if (r.size !== undefined) ref.size = r.size;
      if (r.period !== undefined) ref.period = BigInt(r.period) * SECOND;
      return { init, ref };
    });

  test('random streams give the averages of the reference implementation', () => {
    fc.assert(
      fc.property(arbOpts, arbNumericStream, ({ init, ref }, points) => {
        const got = run(init, points);
        const want = referenceMovingAverage(ref, points);
        assert.deepEqual(
          got.map((p) => [p.time, p.group]),
          want.map((w) => [w.time, w.group]),
        );
        got.forEach((p, i) => assert.ok(close(p.fields['avg'] as number, (want[i] as { value: number }).value, 1e-9)));
      }),
      { numRuns: 300 },
    );
  });

  test('a random stream split across snapshot and restore gives exactly the unsplit output', () => {
    fc.assert(
      fc.property(arbOpts, arbNumericStream, fc.nat(), ({ init }, points, cut) => {
        const { whole, split } = runSplit(movingAverage, init, points, cut % (points.length + 1));
        assert.deepEqual(plain(split), plain(whole));
      }),
      { numRuns: 200 },
    );
  });

  test('restore rejects a snapshot whose window values are not numbers', () => {
    const h = new Harness(movingAverage).start([o.str('field', 'v'), o.int('size', 3)]);
    h.feed([pt({ time: 0, fields: { v: 1 } })]);
    const text = new TextDecoder().decode(h.snapshot()).replace('"values":[1]', '"values":["1"]');
    const res = new Harness(movingAverage).start([o.str('field', 'v'), o.int('size', 3)]).restore(Buffer.from(text));
    assert.equal(res.success, false);
    assert.match(res.error, /values/);
  });
});
