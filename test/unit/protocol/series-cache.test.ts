import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeRequest,
  encodeRequest,
  encodeUvarint,
  emptyRecord,
  type FieldValue,
  type Point,
} from '../../../src/protocol/index.js';
import { pointToReference, RefRequest, referenceEncode, point as anyPoint } from '../../helpers/index.js';

/** `p` as the decoder represents it (tag and field records on the decoder's prototype). */
function asDecoded(p: Point): Point {
  return { ...p, tags: Object.assign(emptyRecord<string>(), p.tags), fields: Object.assign(emptyRecord(), p.fields) };
}

function decodePoint(body: Uint8Array): Point {
  const request = decodeRequest(body);
  assert.equal(request.kind, 'point');
  return request.point;
}

function series(i: number, tagOrder: 'ab' | 'ba' = 'ab'): Point {
  const tags = emptyRecord<string>();
  const host = `cache-h${i}`;
  if (tagOrder === 'ab') {
    tags['host'] = host;
    tags['line'] = `l${i % 7}`;
  } else {
    tags['line'] = `l${i % 7}`;
    tags['host'] = host;
  }
  const fields = emptyRecord<number>();
  fields['snr'] = i / 3;
  return {
    time: BigInt(i) * 1_000_000_000n,
    name: 'adsl_line',
    database: 'telegraf',
    retentionPolicy: 'autogen',
    group: `host=${host}`,
    dimensions: ['host'],
    tags,
    fields,
    byName: false,
  };
}

/** A Request{point} whose payload is `pointBytes` followed by `trailing` raw entries. */
function withTrailing(pointBytes: Uint8Array, trailing: number[]): Uint8Array {
  const payload = Buffer.concat([pointBytes, Buffer.from(trailing)]);
  return Buffer.concat([Buffer.from([0x8a, 0x01]), encodeUvarint(payload.length), payload]);
}

/** The Point message alone (no Request envelope), encoded by our encoder. */
function pointMessage(p: Point): Uint8Array {
  const body = encodeRequest({ kind: 'point', point: p });
  // Tag 17 (two bytes), then a varint length, then the point.
  let at = 2;
  while ((body[at] as number) >= 0x80) at++;
  return body.subarray(at + 1);
}

describe('series cache in the point decoder', () => {
  it('decodes every point exactly while series repeat, in any tag order, among random points', () => {
    // A small pool of series, so most points repeat one; random points in between miss.
    const pooled = fc
      .tuple(fc.nat({ max: 5 }), fc.constantFrom<'ab' | 'ba'>('ab', 'ba'), fc.double())
      .map(([i, order, snr]): Point => ({
        ...series(i, order),
        fields: Object.assign(emptyRecord<FieldValue>(), { snr }),
      }));
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 4, arbitrary: pooled }, { weight: 1, arbitrary: anyPoint }), {
          minLength: 1,
          maxLength: 40,
        }),
        (points) => {
          for (const p of points) {
            // protobufjs as the writer: a second, independent encoder.
            const body = referenceEncode(RefRequest, { point: pointToReference(p) });
            assert.deepStrictEqual(decodePoint(body), asDecoded(p));
          }
        },
      ),
    );
  });

  it('hands out the series decoded before when the same bytes come again', () => {
    const first = decodePoint(encodeRequest({ kind: 'point', point: series(1000) }));
    decodePoint(encodeRequest({ kind: 'point', point: series(1000) }));
    const third = decodePoint(encodeRequest({ kind: 'point', point: { ...series(1000), time: 5n } }));
    assert.equal(
      third.tags,
      decodePoint(encodeRequest({ kind: 'point', point: series(1000) })).tags,
      'the same tags object: a cache hit',
    );
    assert.deepStrictEqual(third, asDecoded({ ...series(1000), time: 5n }));
    assert.deepStrictEqual(first, asDecoded(series(1000)));
    // The other tag order is other bytes: decoded on its own, equal in value.
    const swapped = decodePoint(encodeRequest({ kind: 'point', point: series(1000, 'ba') }));
    assert.deepStrictEqual({ ...swapped.tags }, { ...first.tags });
  });

  it('copies a cached series before adding a tag or dimension that comes after the fields', () => {
    const plain = series(2000);
    for (let i = 0; i < 3; i++) decodePoint(encodeRequest({ kind: 'point', point: plain }));
    // tags {extra: x} (field 7) and dimensions "extra" (field 6) after the fields.
    const extraTag = [0x3a, 0x0c, 0x0a, 0x05, ...Buffer.from('extra'), 0x12, 0x03, ...Buffer.from('yes')];
    const extraDim = [0x32, 0x05, ...Buffer.from('extra')];
    const late = decodePoint(withTrailing(pointMessage(plain), [...extraTag, ...extraDim]));
    assert.equal(late.tags['extra'], 'yes');
    assert.deepStrictEqual(late.dimensions, ['host', 'extra']);
    const again = decodePoint(encodeRequest({ kind: 'point', point: plain }));
    assert.deepStrictEqual(again, asDecoded(plain), 'the cached series is as it was');
    assert.equal(again.tags['extra'], undefined);
  });

  it('keeps a repeated series while a stream of one-off series passes', () => {
    const kept = series(3000);
    decodePoint(encodeRequest({ kind: 'point', point: kept }));
    const cached = decodePoint(encodeRequest({ kind: 'point', point: kept })).tags;
    for (let i = 0; i < 20_000; i++) {
      const once = series(100_000 + i);
      assert.deepStrictEqual(decodePoint(encodeRequest({ kind: 'point', point: once })), asDecoded(once));
    }
    assert.equal(decodePoint(encodeRequest({ kind: 'point', point: kept })).tags, cached);
  });

  it('decodes a long series (over the cache limit) every time', () => {
    const long = { ...series(4000), name: 'n'.repeat(600) };
    const a = decodePoint(encodeRequest({ kind: 'point', point: long }));
    const b = decodePoint(encodeRequest({ kind: 'point', point: long }));
    assert.deepStrictEqual(b, asDecoded(long));
    assert.notEqual(a.tags, b.tags);
  });
});
