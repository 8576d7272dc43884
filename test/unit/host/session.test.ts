import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Session } from '../../../src/host/index.js';
import type { Response } from '../../../src/protocol/index.js';
import { defineUdf, GroupState, opt } from '../../../src/sdk/index.js';
import { mirror } from '../../../udfs/index.js';
import { Harness, o, pt } from '../../helpers/index.js';

/** A small stateful function: counts points per group and emits the running count. */
const counter = defineUdf({
  name: 'counter',
  description: 'test: running count per group',
  wants: 'stream',
  provides: 'stream',
  options: {
    as: opt.string().default('count'),
    step: opt.int().min(1).max(100).default(1),
    tag: opt.string().repeatable(),
    window: opt.duration(),
    pair: opt.tuple('string', 'double'),
    must: opt.bool().required(),
  },
  create: ({ options }) => {
    const counts = new GroupState(() => ({ n: 0 }));
    return {
      point(p, out) {
        const s = counts.get(p.group);
        s.n += options.step;
        out.emit({ ...p, fields: { [options.as]: BigInt(s.n) } });
      },
      snapshot: () => Object.fromEntries([...counts.entries()].map(([g, s]) => [g, s.n])),
      restore(state) {
        if (state === null || typeof state !== 'object' || Array.isArray(state))
          throw new Error('expected an object of counts');
        counts.clear();
        for (const [g, n] of Object.entries(state)) {
          if (typeof n !== 'number') throw new Error(`count of '${g}' is not a number`);
          counts.set(g, { n });
        }
      },
    };
  },
});

const MUST = o.bool('must', true);

describe('Session', () => {
  it('answers Info at any time, also after Init, with the declared option types', () => {
    const h = new Harness(counter);
    h.session.handle({ kind: 'info' });
    h.start([MUST]);
    h.session.handle({ kind: 'info' });
    const infos = h.responses.filter((r) => r.kind === 'info');
    assert.equal(infos.length, 2);
    assert.deepEqual(infos[0], {
      kind: 'info',
      wants: 'stream',
      provides: 'stream',
      options: {
        as: { valueTypes: ['string'] },
        step: { valueTypes: ['int'] },
        tag: { valueTypes: ['string'] },
        window: { valueTypes: ['duration'] },
        pair: { valueTypes: ['string', 'double'] },
        must: { valueTypes: ['bool'] },
      },
    });
  });

  const rejected: Array<[string, Parameters<Harness['init']>[0], RegExp]> = [
    ['an unknown option', [MUST, o.int('size', 3)], /option 'size': unknown option/],
    ['a wrongly typed value', [MUST, o.str('step', 'x')], /option 'step': value 1 must be int, got string/],
    [
      'a wrong count of values',
      [MUST, o.raw('pair', [{ type: 'string', value: 'a' }])],
      /option 'pair': takes 2 value/,
    ],
    ['a missing required option', [], /option 'must': is required/],
    ['a value out of range', [MUST, o.int('step', 0)], /option 'step': must be at least 1/],
    [
      'a non-repeatable option given twice',
      [MUST, o.str('as', 'a'), o.str('as', 'b')],
      /option 'as': given more than once/,
    ],
  ];
  for (const [what, options, message] of rejected) {
    it(`fails Init for ${what}, naming the option`, () => {
      const res = new Harness(counter).init(options);
      assert.equal(res.success, false);
      assert.match(res.error, message);
    });
  }

  it('passes typed option values to the function: repeatable lists, tuples, durations as ns, defaults', () => {
    let seen: unknown;
    const spy = defineUdf({ ...counter, create: (ctx) => ((seen = ctx.options), counter.create(ctx)) });
    new Harness(spy).start([
      MUST,
      o.str('tag', 'a'),
      o.str('tag', 'b'),
      o.dur('window', 5_000_000_000n),
      o.raw('pair', [
        { type: 'string', value: 'x' },
        { type: 'double', value: 2.5 },
      ]),
    ]);
    assert.deepEqual(seen, {
      as: 'count',
      step: 1,
      tag: ['a', 'b'],
      window: 5_000_000_000n,
      pair: ['x', 2.5],
      must: true,
    });
  });

  it('answers a keepalive with the same time', () => {
    const h = new Harness(mirror);
    h.session.handle({ kind: 'keepalive', time: 1514979051065000001n });
    assert.deepEqual(h.responses, [{ kind: 'keepalive', time: 1514979051065000001n }]);
  });

  it('answers data before Init with an ErrorResponse and asks to close', () => {
    const responses: Response[] = [];
    const session = new Session(mirror, pino({ level: 'silent' }), (r) => responses.push(r));
    assert.equal(session.handle({ kind: 'point', point: pt({ time: 1, fields: { v: 1 } }) }), 'close');
    assert.deepEqual(responses, [{ kind: 'error', error: 'mirror: point before Init' }]);
  });

  it('answers an EndBatch without BeginBatch with an ErrorResponse, never a stray EndBatch', () => {
    const responses: Response[] = [];
    const session = new Session(mirror, pino({ level: 'silent' }), (r) => responses.push(r));
    session.handle({ kind: 'init', options: [], taskID: 't', nodeID: 'n' });
    assert.equal(
      session.handle({ kind: 'end', end: { name: 'm', group: '', tmax: 1n, tags: {}, byName: false } }),
      'close',
    );
    assert.equal(responses.at(-1)?.kind, 'error');
    assert.ok(!responses.some((r) => r.kind === 'end'));
  });

  it('restores state from its own snapshot so a split stream continues where it stopped', () => {
    const h = new Harness(counter).start([MUST]);
    h.feed([pt({ time: 1, group: 'a', fields: {} }), pt({ time: 2, group: 'a', fields: {} })]);
    const next = h.fork([MUST]);
    const out = next.feed([pt({ time: 3, group: 'a', fields: {} })]);
    assert.equal(out[0]?.fields['count'], 3n);
  });

  it('starts fresh with a successful RestoreResponse when the snapshot was taken with other options', () => {
    const h = new Harness(counter).start([MUST]);
    h.feed([pt({ time: 1, group: 'a', fields: {} })]);
    const bytes = h.snapshot();
    const other = new Harness(counter).start([MUST, o.int('step', 2)]);
    assert.deepEqual(other.restore(bytes), { kind: 'restore', success: true, error: '' });
    assert.equal(other.feed([pt({ time: 2, group: 'a', fields: {} })])[0]?.fields['count'], 2n);
  });

  it('starts fresh when the snapshot belongs to another format version', () => {
    const h = new Harness(counter).start([MUST]);
    h.feed([pt({ time: 1, group: 'a', fields: {} })]);
    const v2 = new Harness(defineUdf({ ...counter, snapshotVersion: 2 })).start([MUST]);
    assert.equal(v2.restore(h.snapshot()).success, true);
    assert.equal(v2.feed([pt({ time: 2, group: 'a', fields: {} })])[0]?.fields['count'], 1n);
  });

  it('refuses garbage snapshot bytes with a reason and keeps working', () => {
    const h = new Harness(counter).start([MUST]);
    const res = h.restore(new Uint8Array([0xff, 0x00, 0x13, 0x37]));
    assert.equal(res.success, false);
    assert.match(res.error, /counter: snapshot is not a kudf-snapshot document/);
    assert.equal(h.feed([pt({ time: 2, group: 'a', fields: {} })])[0]?.fields['count'], 1n);
  });

  it('refuses a well-formed snapshot whose state has the wrong shape, and starts from clean state', () => {
    const h = new Harness(counter).start([MUST]);
    h.feed([pt({ time: 1, group: 'a', fields: {} })]);
    const good = JSON.parse(Buffer.from(h.snapshot()).toString('utf8')) as Record<string, unknown>;
    const bad = Buffer.from(JSON.stringify({ ...good, state: { a: 'lots' } }));
    const fresh = new Harness(counter).start([MUST]);
    const res = fresh.restore(bad);
    assert.equal(res.success, false);
    assert.match(res.error, /count of 'a' is not a number/);
    assert.equal(fresh.feed([pt({ time: 2, group: 'a', fields: {} })])[0]?.fields['count'], 1n);
  });

  it('answers a Restore before Init with a failed RestoreResponse rather than a crash', () => {
    const responses: Response[] = [];
    const session = new Session(mirror, pino({ level: 'silent' }), (r) => responses.push(r));
    assert.equal(session.handle({ kind: 'restore', snapshot: new Uint8Array([1, 2]) }), 'continue');
    assert.deepEqual(responses, [{ kind: 'restore', success: false, error: 'mirror: RestoreRequest before Init' }]);
  });

  it('frames a batch with the number of points it actually returns', () => {
    const dropper = defineUdf({
      ...mirror,
      name: 'dropper',
      create: () => ({ point: (p, out) => (p.fields['keep'] === true ? out.emit(p) : undefined) }),
    });
    const h = new Harness(dropper).start();
    const out = h.batch({
      group: '',
      tmax: 9n,
      points: [pt({ time: 1, fields: { keep: true } }), pt({ time: 2, fields: { keep: false } })],
    });
    assert.deepEqual(
      out.map((r) => r.kind),
      ['begin', 'point', 'end'],
    );
    assert.equal(out[0]?.kind === 'begin' ? out[0].begin.size : -1n, 1n);
  });

  it('turns a throw inside the function into an ErrorResponse naming the function', () => {
    const thrower = defineUdf({
      ...mirror,
      name: 'thrower',
      create: () => ({
        point: () => {
          throw new Error('boom');
        },
      }),
    });
    const responses: Response[] = [];
    const session = new Session(thrower, pino({ level: 'silent' }), (r) => responses.push(r));
    session.handle({ kind: 'init', options: [], taskID: 't', nodeID: 'n' });
    assert.equal(session.handle({ kind: 'point', point: pt({ time: 1, fields: {} }) }), 'close');
    assert.deepEqual(responses.at(-1), { kind: 'error', error: 'thrower: boom' });
  });
});
