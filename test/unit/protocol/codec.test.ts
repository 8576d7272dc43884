import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  decodeRequest,
  decodeResponse,
  emptyRecord,
  encodeRequest,
  encodeResponse,
  FrameWriter,
  FrameDecoder,
  ProtocolError,
  readUvarint,
  type InitOption,
  type OptionInfo,
  type Point,
  type Request,
  type Response,
} from '../../../src/protocol/index.js';
import {
  beginBatch,
  beginFromReference,
  beginToReference,
  endBatch,
  endFromReference,
  endToReference,
  fromLong,
  int64,
  INT64_MAX,
  INT64_MIN,
  point,
  pointFromReference,
  pointToReference,
  RefRequest,
  RefResponse,
  referenceDecode,
  referenceEncode,
  text,
  toLong,
} from '../../helpers/index.js';

type Obj = Record<string, unknown>;

function nullProto<T>(o: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, o);
}

/**
 * `m` with its tag and field maps copied into the decoder's representation ({@link emptyRecord}:
 * same keys and values, prototype the frozen empty root), so deepStrictEqual checks both.
 */
function asDecoded<M extends Request | Response>(m: M): M {
  const copy = <V>(r: Record<string, V>): Record<string, V> => Object.assign(emptyRecord<V>(), r);
  switch (m.kind) {
    case 'point':
      return { ...m, point: { ...m.point, tags: copy(m.point.tags), fields: copy(m.point.fields) } };
    case 'begin':
      return { ...m, begin: { ...m.begin, tags: copy(m.begin.tags) } };
    case 'end':
      return { ...m, end: { ...m.end, tags: copy(m.end.tags) } };
    default:
      return m;
  }
}

function samplePoint(time: bigint): Point {
  return {
    time,
    name: 'adsl_connection',
    database: 'telegraf',
    retentionPolicy: 'autogen',
    group: 'host=router1',
    dimensions: ['host'],
    tags: nullProto({ host: 'router1' }),
    fields: nullProto<number | bigint | string | boolean>({ value: 'SHOWTIME', snr: 6.5, errors: -3n, up: true }),
    byName: false,
  };
}

/** Wraps a hand-made member payload in an envelope: tag, length, payload. */
function envelope(member: number, payload: number[]): Uint8Array {
  const tag = (member << 3) | 2;
  const tagBytes = tag < 128 ? [tag] : [(tag & 0x7f) | 0x80, tag >> 7];
  assert.ok(payload.length < 128);
  return Uint8Array.from([...tagBytes, payload.length, ...payload]);
}

function expectProtocolError(code: string, message?: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof ProtocolError, `expected ProtocolError, got ${String(e)}`);
    assert.equal(e.name, 'ProtocolError');
    assert.equal(e.code, code);
    if (message) assert.match(e.message, message);
    return true;
  };
}

// ---- data messages against the protobufjs reference ------------------------------------------

describe('data message codec against protobufjs', () => {
  it('decodes Request points that protobufjs encoded', () => {
    fc.assert(
      fc.property(point, (p) => {
        const bytes = referenceEncode(RefRequest, { point: pointToReference(p) });
        assert.deepStrictEqual(decodeRequest(bytes), asDecoded({ kind: 'point', point: p }));
      }),
      { numRuns: 300 },
    );
  });

  it('encodes Request points that protobufjs decodes to the same point', () => {
    fc.assert(
      fc.property(point, (p) => {
        const m = referenceDecode(RefRequest, encodeRequest({ kind: 'point', point: p }));
        assert.deepStrictEqual(pointFromReference(m['point'] as Obj), p);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips Response points in both directions', () => {
    fc.assert(
      fc.property(point, (p) => {
        const ours = referenceDecode(RefResponse, encodeResponse({ kind: 'point', point: p }));
        assert.deepStrictEqual(pointFromReference(ours['point'] as Obj), p);
        const theirs = referenceEncode(RefResponse, { point: pointToReference(p) });
        assert.deepStrictEqual(decodeResponse(theirs), asDecoded({ kind: 'point', point: p }));
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips BeginBatch and EndBatch in both directions', () => {
    fc.assert(
      fc.property(beginBatch, endBatch, (b, e) => {
        assert.deepStrictEqual(
          decodeRequest(referenceEncode(RefRequest, { begin: beginToReference(b) })),
          asDecoded({ kind: 'begin', begin: b }),
        );
        assert.deepStrictEqual(
          decodeResponse(referenceEncode(RefResponse, { end: endToReference(e) })),
          asDecoded({ kind: 'end', end: e }),
        );
        const begin = referenceDecode(RefResponse, encodeResponse({ kind: 'begin', begin: b }));
        assert.deepStrictEqual(beginFromReference(begin['begin'] as Obj), b);
        const end = referenceDecode(RefRequest, encodeRequest({ kind: 'end', end: e }));
        assert.deepStrictEqual(endFromReference(end['end'] as Obj), e);
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips the time 1514979051065000001 exactly', () => {
    const p = samplePoint(1514979051065000001n);
    const decoded = decodeResponse(encodeResponse({ kind: 'point', point: p }));
    assert.equal(decoded.kind, 'point');
    assert.equal(decoded.kind === 'point' && decoded.point.time, 1514979051065000001n);
    assert.deepStrictEqual(decoded, asDecoded({ kind: 'point', point: p }));
    const ref = referenceDecode(RefResponse, encodeResponse({ kind: 'point', point: p }));
    assert.equal(fromLong((ref['point'] as Obj)['time']), 1514979051065000001n);
  });

  it('round-trips int64 extremes in times, int fields, sizes and tmax', () => {
    for (const v of [INT64_MIN, INT64_MAX, -1n, 0n, 1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n]) {
      const p = { ...samplePoint(v), fields: nullProto<bigint>({ n: v }) };
      assert.deepStrictEqual(
        decodeRequest(encodeRequest({ kind: 'point', point: p })),
        asDecoded({ kind: 'point', point: p }),
      );
      const viaRef = decodeRequest(referenceEncode(RefRequest, { point: pointToReference(p) }));
      assert.deepStrictEqual(viaRef, asDecoded({ kind: 'point', point: p }));
      const b = { name: 'm', group: '', tags: nullProto<string>({}), size: v, byName: true };
      assert.deepStrictEqual(
        decodeResponse(encodeResponse({ kind: 'begin', begin: b })),
        asDecoded({ kind: 'begin', begin: b }),
      );
      const e = { name: 'm', group: 'g', tags: nullProto<string>({}), tmax: v, byName: false };
      assert.deepStrictEqual(
        decodeResponse(encodeResponse({ kind: 'end', end: e })),
        asDecoded({ kind: 'end', end: e }),
      );
    }
  });

  it('keeps __proto__ as an ordinary tag and field key', () => {
    const sample = samplePoint(1n);
    const tags = nullProto({ ...sample.tags });
    tags['__proto__'] = 'tag-value';
    const fields = nullProto({ ...sample.fields });
    fields['__proto__'] = 42n;
    const p: Point = { ...sample, tags, fields };
    const decoded = decodeRequest(referenceEncode(RefRequest, { point: pointToReference(p) }));
    assert.equal(decoded.kind, 'point');
    if (decoded.kind !== 'point') return;
    // Decoded records inherit from a frozen, empty root with a null prototype: no inherited keys.
    const root: unknown = Object.getPrototypeOf(emptyRecord());
    assert.equal(Object.getPrototypeOf(decoded.point.tags), root);
    assert.equal(Object.getPrototypeOf(decoded.point.fields), root);
    assert.equal(Object.getPrototypeOf(root), null);
    assert.ok(Object.isFrozen(root));
    assert.deepStrictEqual(Reflect.ownKeys(root as object), []);
    assert.ok(!('toString' in decoded.point.tags) && !('hasOwnProperty' in decoded.point.fields));
    assert.equal(decoded.point.tags['__proto__'], 'tag-value');
    assert.equal(decoded.point.fields['__proto__'], 42n);
    assert.ok(Object.keys(decoded.point.tags).includes('__proto__'));
    assert.deepStrictEqual(
      decodeRequest(encodeRequest({ kind: 'point', point: p })),
      asDecoded({ kind: 'point', point: p }),
    );
  });

  it('skips unknown fields inside a known message', () => {
    const p = samplePoint(123n);
    const pointBytes = referenceEncode(referenceRootPoint(), pointToReference(p));
    // field 99 varint 5, field 50 length-delimited "xy", field 40 fixed32, field 41 fixed64.
    const extra = [
      0x98, 0x06, 0x05, 0x92, 0x03, 0x02, 0x78, 0x79, 0xc5, 0x02, 1, 2, 3, 4, 0xc9, 0x02, 1, 2, 3, 4, 5, 6, 7, 8,
    ];
    const payload = [...extra.slice(0, 3), ...pointBytes, ...extra.slice(3)];
    const req = Uint8Array.from([0x8a, 0x01, ...lengthBytes(payload.length), ...payload]);
    assert.deepStrictEqual(decodeRequest(req), asDecoded({ kind: 'point', point: p }));
  });

  it('decodes short strings exactly while many distinct ones evict each other from the intern cache', () => {
    // 3 x 20000 distinct short strings overflow the 4096-slot cache many times over; every
    // other point repeats an earlier one, so hits and misses alternate on reused slots.
    const at = (i: number): Point => {
      const host = `h${i.toString(36)}`;
      return {
        ...samplePoint(BigInt(i)),
        group: `host=${host}`,
        tags: nullProto({ host, ['k' + (i % 97)]: 'v' + (i % 89) }),
      };
    };
    for (let i = 0; i < 20000; i++) {
      for (const p of [at(i), at(i >> 1)]) {
        assert.deepStrictEqual(
          decodeRequest(encodeRequest({ kind: 'point', point: p })),
          asDecoded({ kind: 'point', point: p }),
        );
      }
    }
    // Same length, one byte apart, and a non-ASCII string of the same byte length.
    for (const [a, b] of [
      ['abcd', 'abce'],
      ['é1', 'ab1'],
      ['x'.repeat(32), 'x'.repeat(31) + 'y'],
      ['y'.repeat(33), 'y'.repeat(32)],
    ]) {
      for (const s of [a, b, a, b] as string[]) {
        const p = { ...samplePoint(1n), name: s };
        assert.deepStrictEqual(
          decodeRequest(encodeRequest({ kind: 'point', point: p })),
          asDecoded({ kind: 'point', point: p }),
        );
      }
    }
  });

  it('returns values that share no memory with the input body', () => {
    const body = encodeRequest({ kind: 'restore', snapshot: Uint8Array.of(1, 2, 3) });
    const decoded = decodeRequest(body);
    body.fill(0);
    assert.deepStrictEqual(decoded, { kind: 'restore', snapshot: Uint8Array.of(1, 2, 3) });
  });
});

function referenceRootPoint() {
  return RefRequest.root.lookupType('agent.Point');
}

function lengthBytes(n: number): number[] {
  const out: number[] = [];
  while (n >= 128) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

// ---- management messages ---------------------------------------------------------------------

const optionValue = fc.oneof(
  fc.boolean().map((value) => ({ type: 'bool' as const, value })),
  int64.map((value) => ({ type: 'int' as const, value })),
  fc.double().map((value) => ({ type: 'double' as const, value })),
  text.map((value) => ({ type: 'string' as const, value })),
  int64.map((value) => ({ type: 'duration' as const, value })),
);
const initOption: fc.Arbitrary<InitOption> = fc.record(
  { name: text, values: fc.array(optionValue, { maxLength: 3 }) },
  { noNullPrototype: true },
);

describe('management message codec', () => {
  it('round-trips random InitRequests and reads protobufjs-encoded ones', () => {
    fc.assert(
      fc.property(fc.array(initOption, { maxLength: 4 }), text, text, (options, taskID, nodeID) => {
        const r: Request = { kind: 'init', options, taskID, nodeID };
        assert.deepStrictEqual(decodeRequest(encodeRequest(r)), r);
        const refOptions = options.map((o) => ({
          name: o.name,
          values: o.values.map((v) => {
            const type = ['bool', 'int', 'double', 'string', 'duration'].indexOf(v.type);
            const member = `${v.type}Value`;
            return { type, [member]: typeof v.value === 'bigint' ? toLong(v.value) : v.value };
          }),
        }));
        const theirs = referenceEncode(RefRequest, { init: { options: refOptions, taskID, nodeID } });
        assert.deepStrictEqual(decodeRequest(theirs), r);
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips keepalives with any int64 time in both envelopes', () => {
    fc.assert(
      fc.property(int64, (time) => {
        assert.deepStrictEqual(decodeRequest(encodeRequest({ kind: 'keepalive', time })), { kind: 'keepalive', time });
        assert.deepStrictEqual(decodeResponse(encodeResponse({ kind: 'keepalive', time })), {
          kind: 'keepalive',
          time,
        });
        const ref = referenceDecode(RefResponse, encodeResponse({ kind: 'keepalive', time }));
        assert.equal(fromLong((ref['keepalive'] as Obj)['time']), time);
      }),
    );
  });

  it('round-trips every other Request and Response kind', () => {
    const requests: Request[] = [
      { kind: 'info' },
      { kind: 'snapshot' },
      { kind: 'restore', snapshot: Uint8Array.of(0, 255, 7) },
      { kind: 'restore', snapshot: new Uint8Array(0) },
    ];
    for (const r of requests) assert.deepStrictEqual(decodeRequest(encodeRequest(r)), r);
    const responses: Response[] = [
      {
        kind: 'info',
        wants: 'batch',
        provides: 'stream',
        options: nullProto({ field: { valueTypes: ['string' as const] }, __proto__x: { valueTypes: [] } }),
      },
      { kind: 'info', wants: 'stream', provides: 'stream', options: nullProto({}) },
      { kind: 'init', success: true, error: '' },
      { kind: 'init', success: false, error: 'bad option' },
      { kind: 'snapshot', snapshot: Uint8Array.of(1, 2) },
      { kind: 'restore', success: false, error: 'corrupt' },
      { kind: 'error', error: 'function threw: boom' },
    ];
    for (const r of responses) assert.deepStrictEqual(decodeResponse(encodeResponse(r)), r);
  });

  it('keeps an option named __proto__ in an InfoResponse', () => {
    const options = nullProto<OptionInfo>({ window: { valueTypes: ['duration'] } });
    options['__proto__'] = { valueTypes: ['int', 'bool'] };
    const r: Response = { kind: 'info', wants: 'stream', provides: 'batch', options };
    assert.deepStrictEqual(decodeResponse(encodeResponse(r)), r);
  });

  it('writes an info Request that protobufjs sees as info and not as an empty Request', () => {
    const m = referenceDecode(RefRequest, encodeRequest({ kind: 'info' }));
    assert.equal(
      RefRequest.oneofs['message']?.oneof.find((name) => m[name] != null),
      'info',
    );
  });
});

// ---- errors ------------------------------------------------------------------------------------

describe('codec errors', () => {
  it('rejects a zero-length body as an empty Request or Response', () => {
    assert.throws(
      () => decodeRequest(new Uint8Array(0)),
      expectProtocolError('KUDF_PROTO_EMPTY', /Request has no member/),
    );
    assert.throws(
      () => decodeResponse(new Uint8Array(0)),
      expectProtocolError('KUDF_PROTO_EMPTY', /Response has no member/),
    );
  });

  it('rejects a Request whose only member is an unknown field number', () => {
    assert.throws(
      () => decodeRequest(envelope(7, [1, 2])),
      expectProtocolError('KUDF_PROTO_UNKNOWN_MEMBER', /field 7/),
    );
    assert.throws(
      () => decodeRequest(Uint8Array.of(0x98, 0x06, 0x01)),
      expectProtocolError('KUDF_PROTO_UNKNOWN_MEMBER'),
    );
    // 6 is ErrorResponse: a member of Response only.
    assert.throws(() => decodeRequest(envelope(6, [])), expectProtocolError('KUDF_PROTO_UNKNOWN_MEMBER'));
  });

  it('keeps a known member next to an unknown one', () => {
    const body = Uint8Array.from([...envelope(30, [9]), ...envelope(1, [])]);
    assert.deepStrictEqual(decodeRequest(body), { kind: 'info' });
  });

  it('rejects a truncated body as invalid protobuf with a clear message', () => {
    const full = encodeRequest({ kind: 'point', point: samplePoint(1514979051065000001n) });
    for (let cut = 1; cut < full.length; cut++) {
      assert.throws(
        () => decodeRequest(full.subarray(0, cut)),
        expectProtocolError('KUDF_PROTO_INVALID', /^invalid protobuf in Request: /),
        `cut at ${cut}`,
      );
    }
    const keepalive = encodeResponse({ kind: 'keepalive', time: -5n });
    assert.throws(
      () => decodeResponse(keepalive.subarray(0, keepalive.length - 1)),
      expectProtocolError('KUDF_PROTO_INVALID'),
    );
  });

  it('rejects a truncated field inside a member whose length is consistent', () => {
    // Point { name: length 5 but only 2 bytes }.
    assert.throws(
      () => decodeRequest(envelope(17, [0x12, 0x05, 0x61, 0x62])),
      expectProtocolError('KUDF_PROTO_INVALID'),
    );
    // KeepaliveRequest { time: unterminated varint }.
    assert.throws(() => decodeRequest(envelope(3, [0x08, 0x80])), expectProtocolError('KUDF_PROTO_INVALID'));
  });

  it('rejects a member with the wrong wire type and an invalid wire type', () => {
    assert.throws(
      () => decodeRequest(Uint8Array.of(0x88, 0x01, 0x05)),
      expectProtocolError('KUDF_PROTO_INVALID', /wire type/),
    );
    assert.throws(() => decodeRequest(Uint8Array.of(0x0f)), expectProtocolError('KUDF_PROTO_INVALID', /wire type/));
    assert.throws(
      () => decodeRequest(envelope(17, [0x0a, 0x00])),
      expectProtocolError('KUDF_PROTO_INVALID', /Point.time/),
    );
  });

  it('rejects a length beyond 32 bits instead of truncating it', () => {
    // Point member with length 2^32 + 2 followed by two bytes.
    const body = Uint8Array.of(0x8a, 0x01, 0x82, 0x80, 0x80, 0x80, 0x10, 0x10, 0x01);
    assert.throws(() => decodeRequest(body), expectProtocolError('KUDF_PROTO_INVALID', /beyond 32 bits/));
  });

  it('rejects an unknown enum value', () => {
    // InfoResponse { wants: 9 }.
    assert.throws(
      () => decodeResponse(envelope(1, [0x08, 0x09])),
      expectProtocolError('KUDF_PROTO_INVALID', /EdgeType/),
    );
  });

  it('refuses to encode an int64 outside the int64 range and leaves no partial frame', () => {
    const writer = new FrameWriter();
    writer.writeResponse({ kind: 'point', point: samplePoint(5n) });
    const before = writer.length;
    for (const time of [INT64_MAX + 1n, INT64_MIN - 1n]) {
      assert.throws(
        () => writer.writeResponse({ kind: 'point', point: samplePoint(time) }),
        expectProtocolError('KUDF_PROTO_UNENCODABLE'),
      );
      assert.throws(() => encodeRequest({ kind: 'keepalive', time }), expectProtocolError('KUDF_PROTO_UNENCODABLE'));
    }
    assert.equal(writer.length, before);
    const frames = [...new FrameDecoder().push(writer.take())].map((f) => decodeResponse(f));
    assert.deepStrictEqual(frames, [asDecoded({ kind: 'point', point: samplePoint(5n) })]);
  });
});

describe('FrameWriter with the codec', () => {
  it('frames many Responses that decode back in order, including multi-kilobyte points', () => {
    const sample = samplePoint(9n);
    const big: Point = { ...sample, tags: nullProto({ ...sample.tags, blob: 'x'.repeat(20000) }) };
    const responses: Response[] = [
      { kind: 'point', point: samplePoint(1n) },
      { kind: 'keepalive', time: 77n },
      { kind: 'point', point: big },
      { kind: 'begin', begin: { name: 'b', group: '', tags: nullProto<string>({}), size: 2n, byName: false } },
      { kind: 'error', error: 'done' },
    ];
    const writer = new FrameWriter({ initialCapacity: 8 });
    for (const r of responses) writer.writeResponse(r);
    const decoded = [...new FrameDecoder().push(writer.take())].map((f) => decodeResponse(f));
    assert.deepStrictEqual(decoded, responses.map(asDecoded));
  });

  it('frames points of every body size around the length-varint boundaries, in any order', () => {
    // Point bodies of 124..129 and 16379..16385 bytes: the member length and the frame length
    // change varint size at different bodies, and each size change moves the header guess.
    const bodyBytes = (point: Point): number => {
      const length = readUvarint(encodeResponse({ kind: 'point', point }), 2);
      assert.equal(length.status, 'ok');
      return length.status === 'ok' ? length.value : -1;
    };
    const sized = (target: number): Point => {
      const p = {
        ...samplePoint(0n),
        tags: nullProto<string>({}),
        fields: nullProto<number | bigint | string | boolean>({}),
      };
      p.fields['s'] = '';
      // The padding field's lengths grow by a byte or two with it: try a few around the estimate.
      const estimate = target - bodyBytes(p);
      for (let pad = Math.max(0, estimate - 4); pad <= estimate; pad++) {
        p.fields['s'] = 'x'.repeat(pad);
        if (bodyBytes(p) === target) return p;
      }
      throw new Error(`no point with a ${target}-byte body`);
    };
    const points = [124, 125, 126, 127, 128, 129, 16379, 16380, 16383, 16384, 16385, 100, 200, 127, 16384, 124, 90].map(
      sized,
    );
    for (const order of [points, [...points].reverse()]) {
      const writer = new FrameWriter({ initialCapacity: 8 });
      for (const point of order) writer.writeResponse({ kind: 'point', point });
      const frames = [...new FrameDecoder().push(writer.take())];
      assert.deepStrictEqual(
        frames.map((f) => decodeResponse(f)),
        order.map((point) => asDecoded({ kind: 'point' as const, point })),
      );
      // Framed and bare encodings agree byte for byte.
      assert.deepStrictEqual(
        frames.map((f) => Buffer.from(f)),
        order.map((point) => Buffer.from(encodeResponse({ kind: 'point', point }))),
      );
    }
  });

  it('hands out each take() as the whole of its own ArrayBuffer, transferable to another thread', () => {
    const writer = new FrameWriter();
    for (const count of [1, 3, 2000, 0]) {
      for (let i = 0; i < count; i++) writer.writeResponse({ kind: 'point', point: samplePoint(BigInt(i)) });
      const out = writer.take();
      assert.equal(out.byteOffset, 0);
      assert.equal(out.byteLength, out.buffer.byteLength);
      assert.equal([...new FrameDecoder().push(out)].length, count);
    }
  });

  it('frames Requests for the Kapacitor side', () => {
    const writer = new FrameWriter();
    const requests: Request[] = [
      { kind: 'init', options: [], taskID: 't', nodeID: 'n' },
      { kind: 'point', point: samplePoint(3n) },
    ];
    for (const r of requests) writer.writeRequest(r);
    const decoded = [...new FrameDecoder().push(writer.take())].map((f) => decodeRequest(f));
    assert.deepStrictEqual(decoded, requests.map(asDecoded));
  });
});
