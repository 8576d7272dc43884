import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parseLineProtocol } from '../../src/line-protocol/index.js';
import { edgeDetect, edgeDetectBatch } from '../../udfs/index.js';
import type { FieldValue, InitOption, Point } from '../../src/protocol/index.js';
import {
  Harness,
  o,
  plain,
  pt,
  runSplit,
  SECOND,
  referenceEdgeDetect,
  type EdgeReferenceOptions,
} from '../helpers/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** A fixture file as stream points, grouped by their tags (the fixture has one tag, host). */
function readFixture(name: string): Point[] {
  const text = readFileSync(`${repoRoot}test/fixtures/edge/${name}`, 'utf8');
  return parseLineProtocol(text).map((lp) => {
    if (lp.time === undefined) throw new Error(`fixture line without a time in ${name}`);
    const group = Object.keys(lp.tags)
      .sort()
      .map((k) => `${k}=${lp.tags[k] ?? ''}`)
      .join(',');
    return pt({ time: lp.time, name: lp.measurement, group, tags: lp.tags, fields: lp.fields });
  });
}

const run = (options: InitOption[], points: Point[]): Point[] => new Harness(edgeDetect).start(options).feed(points);
const values = (points: Point[], field = 'x'): unknown[] => points.map((p) => p.fields[field]);

describe('edgeDetect', () => {
  test('the ADSL fixture comes out exactly as expected: 17 points in, 6 unchanged points out', () => {
    const input = readFixture('adsl_connection.input.lp');
    const expected = readFixture('adsl_connection.expected.lp');
    assert.equal(input.length, 17);
    const out = run([o.str('field', 'value')], input);
    assert.equal(out.length, 6);
    assert.deepEqual(plain(out), plain(expected));
  });

  test('Init fails and names the field option when no field is given', () => {
    const res = new Harness(edgeDetect).init([]);
    assert.equal(res.success, false);
    assert.match(res.error, /field/);
  });

  test('Init fails and names transition when transition is used with two fields', () => {
    const res = new Harness(edgeDetect).init([o.str('field', 'a'), o.str('field', 'b'), o.str('transition', '*', 'X')]);
    assert.equal(res.success, false);
    assert.match(res.error, /transition/);
  });

  test('emitted points are the input points, unwatched fields included', () => {
    const input = [pt({ time: 0, fields: { x: 'A', other: 1n } }), pt({ time: 1, fields: { x: 'B', other: 2.5 } })];
    const out = run([o.str('field', 'x')], input);
    assert.equal(out.length, 2);
    assert.deepEqual(plain(out), plain(input));
  });

  test('comparison is type-strict: int 1 and double 1 differ', () => {
    const out = run(
      [o.str('field', 'x')],
      [pt({ time: 0, fields: { x: 1n } }), pt({ time: 1, fields: { x: 1 } }), pt({ time: 2, fields: { x: 1 } })],
    );
    assert.deepEqual(values(out), [1n, 1]);
  });

  test('a missing watched field is skipped and a point with none of them is dropped without touching the state', () => {
    const out = run(
      [o.str('field', 'x'), o.str('field', 'y')],
      [
        pt({ time: 0, fields: { x: 1, y: 'a' } }),
        pt({ time: 1, fields: { x: 1 } }), // y missing, x unchanged: nothing
        pt({ time: 2, fields: { z: 9 } }), // none watched: dropped
        pt({ time: 3, fields: { y: 'b' } }), // x missing, y changed
        pt({ time: 4, fields: { x: 1, y: 'b' } }), // x absent from last emitted point: a change
      ],
    );
    assert.deepEqual(
      out.map((p) => p.time / SECOND),
      [0n, 3n, 4n],
    );
  });

  test('state is kept per group', () => {
    const out = run(
      [o.str('field', 'x')],
      [
        pt({ time: 0, group: 'a', fields: { x: 1 } }),
        pt({ time: 1, group: 'b', fields: { x: 1 } }),
        pt({ time: 2, group: 'a', fields: { x: 1 } }),
        pt({ time: 3, group: 'b', fields: { x: 2 } }),
      ],
    );
    assert.deepEqual(
      out.map((p) => `${p.group}@${p.time / SECOND}`),
      ['a@0', 'b@1', 'b@3'],
    );
  });

  test('previous adds the previous values and durationField the time the previous state lasted in unit', () => {
    const out = run(
      [o.str('field', 'x'), o.str('previous', 'prev_'), o.str('durationField', 'lasted'), o.dur('unit', 60n * SECOND)],
      [pt({ time: 0, fields: { x: 'A' } }), pt({ time: 60, fields: { x: 'A' } }), pt({ time: 90, fields: { x: 'B' } })],
    );
    assert.equal(out.length, 2);
    assert.equal('prev_x' in (out[0]?.fields ?? {}), false);
    assert.equal('lasted' in (out[0]?.fields ?? {}), false);
    assert.equal(out[1]?.fields['prev_x'], 'A');
    assert.equal(out[1]?.fields['lasted'], 1.5);
    assert.equal(out[1]?.fields['x'], 'B');
  });

  test('durationField defaults to seconds', () => {
    const out = run(
      [o.str('field', 'x'), o.str('durationField', 'd')],
      [pt({ time: 10, fields: { x: 1n } }), pt({ time: 25, fields: { x: 2n } })],
    );
    assert.equal(out[1]?.fields['d'], 15);
  });

  test('transition emits only matching changes while the state follows every change', () => {
    const seq = ['SHOWTIME', 'TRAINING', 'IDLE', 'TRAINING', 'SHOWTIME', 'TRAINING'];
    const input = seq.map((x, i) => pt({ time: i, fields: { x } }));
    const out = run([o.str('field', 'x'), o.str('transition', 'SHOWTIME', 'TRAINING'), o.str('previous', 'p_')], input);
    // IDLE -> TRAINING at t=3 does not match; SHOWTIME -> TRAINING at 1 and 5 do.
    assert.deepEqual(
      out.map((p) => p.time / SECOND),
      [1n, 5n],
    );
    assert.equal(out[1]?.fields['p_x'], 'SHOWTIME');
  });

  test('transition wildcards match any value and the first point only through a * from', () => {
    const input = ['TRAINING', 'SHOWTIME', 'TRAINING'].map((x, i) => pt({ time: i, fields: { x } }));
    assert.deepEqual(values(run([o.str('field', 'x'), o.str('transition', '*', 'TRAINING')], input)), [
      'TRAINING',
      'TRAINING',
    ]);
    assert.deepEqual(values(run([o.str('field', 'x'), o.str('transition', 'SHOWTIME', '*')], input)), ['TRAINING']);
  });

  test('hold ignores flaps shorter than the hold and emits the first point at which the hold is met', () => {
    const input = [
      pt({ time: 0, fields: { x: 'UP' } }),
      pt({ time: 10, fields: { x: 'DOWN' } }), // flap: back to UP after 5 s
      pt({ time: 15, fields: { x: 'UP' } }),
      pt({ time: 20, fields: { x: 'DOWN' } }), // held from 20 ...
      pt({ time: 40, fields: { x: 'DOWN' } }), // ... 20 s < 30 s
      pt({ time: 50, fields: { x: 'DOWN' } }), // 30 s: emitted
      pt({ time: 60, fields: { x: 'DOWN' } }),
    ];
    const out = run(
      [o.str('field', 'x'), o.dur('hold', 30n * SECOND), o.str('previous', 'p_'), o.str('durationField', 'd')],
      input,
    );
    assert.deepEqual(
      out.map((p) => p.time / SECOND),
      [0n, 50n],
    );
    assert.equal(out[1]?.fields['p_x'], 'UP');
    assert.equal(out[1]?.fields['d'], 50);
  });

  test('hold restarts when the candidate value itself changes', () => {
    const input = [
      pt({ time: 0, fields: { x: 1n } }),
      pt({ time: 10, fields: { x: 2n } }),
      pt({ time: 15, fields: { x: 3n } }), // new candidate: the clock restarts
      pt({ time: 20, fields: { x: 3n } }),
      pt({ time: 25, fields: { x: 3n } }),
    ];
    const out = run([o.str('field', 'x'), o.dur('hold', 10n * SECOND)], input);
    assert.deepEqual(values(out), [1n, 3n]);
    assert.equal(out[1]?.time, 25n * SECOND);
  });

  test('tolerance ignores numeric moves up to it, measured from the last emitted value', () => {
    const input = [0, 0.05, 0.1, 0.15, 0.2, 0.21].map((x, i) => pt({ time: i, fields: { x } }));
    assert.deepEqual(values(run([o.str('field', 'x'), o.dbl('tolerance', 0.1)], input)), [0, 0.15]);
  });

  test('tolerance applies to ints too but never makes an int equal a double', () => {
    const input = [
      pt({ time: 0, fields: { x: 10n } }),
      pt({ time: 1, fields: { x: 11n } }),
      pt({ time: 2, fields: { x: 10 } }),
    ];
    assert.deepEqual(values(run([o.str('field', 'x'), o.dbl('tolerance', 1.5)], input)), [10n, 10]);
  });

  test('emitFirst false swallows the first point but still uses it as the state', () => {
    const input = ['A', 'A', 'B'].map((x, i) => pt({ time: i, fields: { x } }));
    const out = run([o.str('field', 'x'), o.bool('emitFirst', false), o.str('previous', 'p_')], input);
    assert.deepEqual(values(out), ['B']);
    assert.equal(out[0]?.fields['p_x'], 'A');
  });

  test('in batch mode the state resets at every batch unless acrossBatches is set', () => {
    const batches = [
      {
        group: 'g',
        tmax: 2n * SECOND,
        points: [pt({ time: 1, group: 'g', fields: { x: 'A' } }), pt({ time: 2, group: 'g', fields: { x: 'A' } })],
      },
      {
        group: 'g',
        tmax: 4n * SECOND,
        points: [pt({ time: 3, group: 'g', fields: { x: 'A' } }), pt({ time: 4, group: 'g', fields: { x: 'B' } })],
      },
    ];
    const reset = new Harness(edgeDetectBatch).start([o.str('field', 'x')]).batches(batches);
    assert.deepEqual(values(reset), ['A', 'A', 'B']);
    const across = new Harness(edgeDetectBatch)
      .start([o.str('field', 'x'), o.bool('acrossBatches', true)])
      .batches(batches);
    assert.deepEqual(values(across), ['A', 'B']);
  });

  test('each output batch is framed with the input batch metadata and the number of points emitted', () => {
    const h = new Harness(edgeDetectBatch).start([o.str('field', 'x')]);
    const res = h.batch({
      group: 'g',
      tmax: 9n,
      points: [pt({ time: 1, group: 'g', fields: { x: 1 } }), pt({ time: 2, group: 'g', fields: { x: 1 } })],
    });
    assert.deepEqual(
      res.map((r) => r.kind),
      ['begin', 'point', 'end'],
    );
    const first = res[0];
    assert.equal(first?.kind === 'begin' ? first.begin.size : undefined, 1n);
    const last = res[2];
    assert.equal(last?.kind === 'end' ? last.end.tmax : undefined, 9n);
  });

  test('restore rejects a snapshot state of the wrong shape with a clear error', () => {
    const h = new Harness(edgeDetect).start([o.str('field', 'x')]);
    h.feed([pt({ time: 0, fields: { x: 1 } })]);
    const bytes = Buffer.from(new TextDecoder().decode(h.snapshot()).replace('"groups"', '"grupos"'));
    const res = new Harness(edgeDetect).start([o.str('field', 'x')]).restore(bytes);
    assert.equal(res.success, false);
    assert.match(res.error, /groups/);
  });

  test('a restored session continues exactly where the snapshot was taken, pending hold included', () => {
    const opts = [o.str('field', 'x'), o.dur('hold', 10n * SECOND), o.str('previous', 'p_')];
    const input = [0, 5, 8, 12, 16, 20].map((t, i) => pt({ time: t, fields: { x: i === 0 ? 'A' : 'B' } }));
    const { whole, split } = runSplit(edgeDetect, opts, input, 3);
    assert.equal(whole.length, 2);
    assert.deepEqual(plain(split), plain(whole));
  });
});

// --- property tests ---------------------------------------------------------------------------

const valuePool: FieldValue[] = [1n, 2n, 1, 1.05, 2, 'A', 'B', true, false];
const arbValue = fc.option(fc.constantFrom(...valuePool), { nil: undefined, freq: 4 });

const arbStream = fc
  .array(
    fc.record({
      dt: fc.integer({ min: 0, max: 4 }),
      group: fc.constantFrom('a', 'b', 'c'),
      x: arbValue,
      y: arbValue,
      other: fc.integer({ min: 0, max: 9 }),
    }),
    { maxLength: 80 },
  )
  .map((rows) => {
    let t = 0;
    return rows.map((r) => {
      t += r.dt;
      const fields: Record<string, FieldValue> = { other: BigInt(r.other) };
      if (r.x !== undefined) fields['x'] = r.x;
      if (r.y !== undefined) fields['y'] = r.y;
      return pt({ time: t, group: r.group, fields });
    });
  });

const arbOptions = fc
  .record({
    two: fc.boolean(),
    previous: fc.option(fc.constant('p_'), { nil: undefined }),
    durationField: fc.option(fc.constant('d'), { nil: undefined }),
    unitMs: fc.constantFrom(1000n, 2000n, 500n),
    hold: fc.constantFrom(0n, 2n, 5n),
    tolerance: fc.constantFrom(0, 0.1, 1.5),
    emitFirst: fc.boolean(),
    transitions: fc.array(
      fc.tuple(fc.constantFrom('*', '1', 'A', 'B', 'true', '2'), fc.constantFrom('*', '1', 'A', 'B', 'false', '1.05')),
      { maxLength: 2 },
    ),
  })
  .map((r) => {
    const fields = r.two && r.transitions.length === 0 ? ['x', 'y'] : ['x'];
    const ref: EdgeReferenceOptions = {
      fields,
      unit: r.unitMs * 1_000_000n,
      transitions: r.transitions,
      hold: r.hold * SECOND,
      tolerance: r.tolerance,
      emitFirst: r.emitFirst,
    };
    const init: InitOption[] = fields.map((f) => o.str('field', f));
    if (r.previous !== undefined) {
      ref.previous = r.previous;
      init.push(o.str('previous', r.previous));
    }
    if (r.durationField !== undefined) {
      ref.durationField = r.durationField;
      init.push(o.str('durationField', r.durationField));
    }
    init.push(
      o.dur('unit', ref.unit),
      o.dur('hold', ref.hold),
      o.dbl('tolerance', r.tolerance),
      o.bool('emitFirst', r.emitFirst),
    );
    for (const [from, to] of r.transitions) init.push(o.str('transition', from, to));
    return { ref, init };
  });

describe('edgeDetect properties', () => {
  test('random streams give the same output as the reference implementation', () => {
    fc.assert(
      fc.property(arbOptions, arbStream, ({ ref, init }, points) => {
        const got = run(init, points).map((p) => ({ time: p.time, group: p.group, fields: { ...p.fields } }));
        assert.deepEqual(got, referenceEdgeDetect(ref, points));
      }),
      { numRuns: 400 },
    );
  });

  test('a random stream split across snapshot and restore gives exactly the unsplit output', () => {
    fc.assert(
      fc.property(arbOptions, arbStream, fc.nat(), ({ init }, points, cut) => {
        const { whole, split } = runSplit(
          edgeDetect,
          init,
          points,
          points.length === 0 ? 0 : cut % (points.length + 1),
        );
        assert.deepEqual(plain(split), plain(whole));
      }),
      { numRuns: 200 },
    );
  });
});
