import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { Session } from '../../../src/host/index.js';
import {
  FrameDecoder,
  FrameWriter,
  decodeRequest,
  decodeRequestIn,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  encodeUvarint,
  type PointHeader,
  type Fields,
  type Point,
  type Response,
} from '../../../src/protocol/index.js';
import { defineUdf, derivePoint } from '../../../src/sdk/index.js';
import { fieldValue, key, point, pt } from '../../helpers/index.js';

const fields: fc.Arbitrary<Fields> = fc
  .uniqueArray(fc.tuple(key, fieldValue), { selector: ([k]) => k, maxLength: 5 })
  .map((entries) => {
    const out = Object.create(null) as Fields;
    for (const [k, v] of entries) out[k] = v;
    return out;
  });

/** What decodeRequest reports as the point's bytes before its fields, if they can be reused. */
function headerOf(body: Uint8Array): Uint8Array | undefined {
  const h: PointHeader = { start: 7, end: 7 };
  decodeRequest(body, h);
  return h.start < 0 ? undefined : body.subarray(h.start, h.end);
}

/** The one frame a FrameWriter holds, decoded as a Response. */
function onlyResponse(w: FrameWriter): Response {
  const d = new FrameDecoder({ maxFrameBytes: 1 << 24 });
  d.feed(w.take());
  const body = d.nextFrame();
  assert.ok(body !== undefined);
  assert.equal(d.nextFrame(), undefined);
  return decodeResponse(body);
}

/** A Point member's bytes: tag 17/LEN, length, then the given entries. */
function pointBody(entries: Uint8Array[]): Uint8Array {
  const payload = Buffer.concat(entries);
  return Buffer.concat([Buffer.from([0x8a, 0x01]), encodeUvarint(payload.length), payload]);
}
const entry = (field: number, wireType: number, payload: number[]): Uint8Array =>
  Buffer.from([(field << 3) | wireType, ...payload]);
const nameEntry = entry(2, 2, [1, 0x6d]);
const tagEntry = entry(7, 2, [6, 0x0a, 1, 0x6b, 0x12, 1, 0x76]);
const doubleField = entry(8, 2, [12, 0x0a, 1, 0x66, 0x11, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
const byNameEntry = entry(11, 0, [1]);

describe('a point derived from an input point, written from the input bytes before its fields', () => {
  it('decodes exactly as the same point encoded in full', () => {
    fc.assert(
      fc.property(point, fields, (input, newFields) => {
        const header = headerOf(encodeRequest({ kind: 'point', point: input }));
        assert.ok(header !== undefined, 'our own encoding is in field order');
        const derived: Point = { ...input, fields: newFields };
        const w = new FrameWriter();
        w.writePointAfterHeader(header, derived);
        assert.deepEqual(onlyResponse(w), decodeResponse(encodeResponse({ kind: 'point', point: derived })));
      }),
    );
  });

  it('writes short and long headers alike, after whatever the writer already holds', () => {
    for (const tagValue of ['a', 'v'.repeat(300)]) {
      const input = pt({ time: 5, group: 'host=a', tags: { host: tagValue }, fields: { v: 1.5 } });
      const header = headerOf(encodeRequest({ kind: 'point', point: input }));
      assert.ok(header !== undefined);
      const derived: Point = { ...input, fields: { avg: 2 } };
      const w = new FrameWriter();
      w.writePointAfterHeader(header, input);
      w.writePointAfterHeader(header, derived);
      const d = new FrameDecoder({ maxFrameBytes: 1 << 24 });
      d.feed(w.take());
      const bodies = [d.nextFrame(), d.nextFrame()].map((b) => (b === undefined ? undefined : decodeResponse(b)));
      assert.deepEqual(
        bodies,
        [input, derived].map((point) => decodeResponse(encodeResponse({ kind: 'point', point }))),
        `tag of ${tagValue.length} bytes`,
      );
    }
  });

  it('finds the bytes before the first field or byName', () => {
    const header = Buffer.concat([nameEntry, tagEntry]);
    assert.deepEqual(headerOf(pointBody([nameEntry, tagEntry, doubleField, byNameEntry, doubleField])), header);
    assert.deepEqual(headerOf(pointBody([nameEntry, tagEntry, byNameEntry, doubleField])), header);
    assert.deepEqual(headerOf(pointBody([nameEntry, tagEntry])), header);
  });

  it('declines any other layout, so that the point is encoded in full', () => {
    const declined: Array<[string, Uint8Array]> = [
      ['a tag after a field', pointBody([nameEntry, doubleField, tagEntry])],
      ['a tag after byName', pointBody([nameEntry, byNameEntry, tagEntry])],
      ['an unknown entry after a field', pointBody([nameEntry, doubleField, entry(13, 0, [1])])],
      ['not a point', encodeRequest({ kind: 'keepalive', time: 1n })],
    ];
    for (const [why, body] of declined) assert.equal(headerOf(body), undefined, why);
  });

  it('points into the body at the point that was decoded, whatever comes before it', () => {
    const point = pointBody([nameEntry, tagEntry, doubleField]);
    const body = Buffer.concat([Buffer.from([0x1a, 0]), point]);
    assert.deepEqual(headerOf(body), Buffer.concat([nameEntry, tagEntry]));
    // Unknown entries before the fields go out as they came, like the rest of the header.
    const unknown = entry(13, 0, [1]);
    assert.deepEqual(headerOf(pointBody([nameEntry, unknown, doubleField])), Buffer.concat([nameEntry, unknown]));
  });
});

describe('Session: points derived from the input point', () => {
  const emitter = (make: (p: Point) => Point) =>
    defineUdf({
      name: 'derive',
      description: 'test',
      wants: 'stream',
      provides: 'stream',
      options: {},
      create: () => ({ point: (p, out) => out.emit(make(p)) }),
    });

  function run(make: (p: Point) => Point): { viaHeader: Point[]; encoded: Response[] } {
    const viaHeader: Point[] = [];
    const encoded: Response[] = [];
    const session = new Session(emitter(make), pino({ level: 'silent' }), (r) => encoded.push(r), {
      sendRaw: () => assert.fail('no point here is the input point itself'),
      sendAfterHeader: (_header, p) => viaHeader.push(p),
    });
    session.handle({ kind: 'init', options: [], taskID: 't', nodeID: 'n' });
    encoded.length = 0;
    const input = pt({ time: 5, group: 'host=a', tags: { host: 'a' }, fields: { v: 1.5 } });
    const body = encodeRequest({ kind: 'point', point: input });
    // The body in the middle of a larger buffer, as a frame in a read chunk: header offsets are the buffer's.
    const chunk = new Uint8Array([7, 7, 7, 7, 7, ...body, 9, 9]);
    const header: PointHeader = { start: -1, end: -1 };
    session.handle(
      decodeRequestIn(chunk, 5, 5 + body.length, header),
      { buf: chunk, start: 5, end: 5 + body.length },
      header,
    );
    return { viaHeader, encoded };
  }

  it('go out from the input bytes when only the fields differ', () => {
    const r = run((p) => derivePoint(p, { avg: 2 }));
    assert.equal(r.viaHeader.length, 1);
    assert.deepEqual(r.encoded, []);
  });

  it('are encoded in full when anything before the fields differs', () => {
    const changes: Array<(p: Point) => Point> = [
      (p) => ({ ...p, time: p.time + 1n }),
      (p) => ({ ...p, name: 'other' }),
      (p) => ({ ...p, group: 'host=b' }),
      (p) => ({ ...p, tags: { ...p.tags } }),
      (p) => ({ ...p, dimensions: [...p.dimensions] }),
      (p) => ({ ...p, database: 'x' }),
      (p) => ({ ...p, retentionPolicy: 'x' }),
    ];
    for (const change of changes) {
      const r = run(change);
      assert.equal(r.viaHeader.length, 0);
      assert.equal(r.encoded.length, 1);
    }
  });
});
