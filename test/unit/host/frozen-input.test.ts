import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { BUILTIN_UDFS_MODULE, listUdfDir, loadRegistry } from '../../../src/host/index.js';
import { isBuiltIn, SessionRunner, type FromWorker } from '../../../src/host/internal.js';
import {
  FrameDecoder,
  FrameWriter,
  decodeResponse,
  freezeRequest,
  type Request,
  type Response,
} from '../../../src/protocol/index.js';
import { defineUdf, derivePoint, withFields, type Point, type UdfDefinition } from '../../../src/sdk/index.js';
import { TEST_UDF_DIR, begin, end, pt } from '../../helpers/index.js';

/**
 * The input point as a JavaScript function sees it: the types forbid these writes, so the cast
 * plays a function written without them.
 */
interface Writable {
  time: bigint;
  fields: Record<string, unknown>;
  tags: Record<string, string>;
  dimensions: string[];
}
const writable = (p: Point): Writable => p as unknown as Writable;

/** A function that writes to its input in the way `how` says, then emits something. */
function writer(name: string, how: (p: Point) => Point): UdfDefinition {
  return defineUdf({
    name,
    description: 'test',
    wants: 'stream',
    provides: 'stream',
    options: {},
    create: () => ({ point: (p, out) => out.emit(how(p)) }),
  });
}

const definitions = [
  writer('setsField', (p) => {
    writable(p).fields['flag'] = true;
    return p;
  }),
  writer('setsTagOfDerived', (p) => {
    const q = derivePoint(p, { avg: 1 });
    writable(q).tags['extra'] = 'x';
    return q;
  }),
  writer('pushesDimension', (p) => {
    writable(p).dimensions.push('extra');
    return p;
  }),
  writer('setsTime', (p) => {
    writable(p).time = 0n;
    return p;
  }),
  writer('wellBehaved', (p) => withFields(p, { flag: true })),
  writer('ownTags', (p) => ({ ...withFields(p, { flag: true }), tags: { ...p.tags, extra: 'x' } })),
];

/** Runs Init and one point through a SessionRunner session of `udf`; returns the responses. */
function run(udf: string, registry: ReadonlyMap<string, UdfDefinition>): Response[] {
  const chunks: Uint8Array[] = [];
  const runner = new SessionRunner(
    registry,
    { maxFrameBytes: 1 << 20, initTimeoutMs: 0, maxBatchPoints: 1000, maxBatchBytes: 1 << 20 },
    pino({ level: 'silent' }),
    (m: FromWorker) => {
      if (m.type === 'out' && m.bytes !== null) chunks.push(m.bytes);
    },
  );
  const w = new FrameWriter();
  w.writeRequest({ kind: 'init', options: [], taskID: 't', nodeID: 'n' });
  w.writeRequest({ kind: 'point', point: pt({ time: 1, group: 'host=a', tags: { host: 'a' }, fields: { v: 1.5 } }) });
  runner.handle({ type: 'open', id: 1, udf, keepalivesAnswered: true });
  runner.handle({ type: 'data', id: 1, bytes: w.take() });
  const decoder = new FrameDecoder();
  const out: Response[] = [];
  for (const c of chunks) {
    decoder.feed(c);
    for (let b = decoder.nextFrame(); b !== undefined; b = decoder.nextFrame()) out.push(decodeResponse(b));
  }
  return out;
}

describe('input points are frozen for functions that are not built in', () => {
  const registry = new Map(definitions.map((d) => [d.name, d]));

  for (const [udf, property] of [
    ['setsField', 'flag'],
    ['setsTagOfDerived', 'extra'],
    ['pushesDimension', '1'],
    ['setsTime', 'time'],
  ] as const) {
    it(`${udf}: the write throws and ends the session with an error that names it, instead of a point without the change`, () => {
      const responses = run(udf, registry);
      assert.deepEqual(
        responses.map((r) => r.kind),
        ['init', 'error'],
      );
      const error = responses[1];
      assert.ok(error?.kind === 'error');
      assert.match(error.error, new RegExp(`^${udf}: Cannot .*property '?${property}'?`));
      assert.match(error.error, /input points are read-only: emit a new point made with withFields or derivePoint/);
    });
  }

  it('a function that builds new points works as before', () => {
    const responses = run('wellBehaved', registry);
    assert.deepEqual(
      responses.map((r) => r.kind),
      ['init', 'point'],
    );
    const p = responses[1];
    assert.ok(p?.kind === 'point');
    assert.deepEqual({ ...p.point.fields }, { v: 1.5, flag: true });
    assert.deepEqual({ ...p.point.tags }, { host: 'a' });
  });

  it('a point given tags of its own carries them (it is encoded in full, not from the input bytes)', () => {
    const responses = run('ownTags', registry);
    const p = responses[1];
    assert.ok(p?.kind === 'point', JSON.stringify(responses.map((r) => r.kind)));
    assert.deepEqual({ ...p.point.tags }, { host: 'a', extra: 'x' });
    assert.deepEqual({ ...p.point.fields }, { v: 1.5, flag: true });
  });

  it('freezeRequest freezes a point with its fields, tags and dimensions, and batch boundaries with their tags', () => {
    const point = pt({ time: 1, group: 'host=a', tags: { host: 'a' }, fields: { v: 1 } });
    const requests: Request[] = [
      { kind: 'begin', begin: begin('host=a') },
      { kind: 'point', point },
      { kind: 'end', end: end('host=a', 5n) },
    ];
    for (const r of requests) assert.equal(freezeRequest(r), r);
    for (const o of [point, point.fields, point.tags, point.dimensions]) assert.ok(Object.isFrozen(o));
    const [b, , e] = requests;
    assert.ok(b?.kind === 'begin' && Object.isFrozen(b.begin) && Object.isFrozen(b.begin.tags));
    assert.ok(e?.kind === 'end' && Object.isFrozen(e.end) && Object.isFrozen(e.end.tags));
  });

  it('the registry knows the built-in functions (whose tests feed them frozen points) from a directory of your own', async () => {
    const registry = await loadRegistry([BUILTIN_UDFS_MODULE, ...(await listUdfDir(TEST_UDF_DIR))]);
    const builtIn = [...registry.values()].filter((d) => isBuiltIn(d)).map((d) => d.name);
    assert.ok(
      builtIn.includes('movingAverage') && builtIn.includes('mirror') && builtIn.includes('edgeDetect'),
      builtIn.join(),
    );
    assert.equal(isBuiltIn(registry.get('burn') as UdfDefinition), false);
    assert.equal(isBuiltIn(definitions[0] as UdfDefinition), false);
  });
});
