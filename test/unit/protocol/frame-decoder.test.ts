import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  encodeFrame,
  encodeUvarint,
  FrameDecoder,
  FrameError,
  FrameWriter,
  decodeRequest,
} from '../../../src/protocol/index.js';

/** Frame bodies are views valid until the next push: copy them on receipt. */
function collect(decoder: FrameDecoder, chunks: Uint8Array[]): Buffer[] {
  const out: Buffer[] = [];
  for (const chunk of chunks) for (const body of decoder.push(chunk)) out.push(Buffer.from(body));
  return out;
}

function bufs(...bodies: Uint8Array[]): Buffer[] {
  return bodies.map((b) => Buffer.from(b));
}

function body(length: number, seed: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = (seed + i * 7) & 0xff;
  return b;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// Sizes around the one- and two-byte prefix boundaries, plus an empty frame.
const BODIES = [body(3, 1), body(0, 2), body(127, 3), body(128, 4), body(1, 5), body(300, 6), body(16384, 7)];
const STREAM = concat(BODIES.map(encodeFrame));
const EXPECTED = bufs(...BODIES);

function isFrameError(code: string): (e: unknown) => boolean {
  return (e) => e instanceof FrameError && e.code === code;
}

describe('FrameDecoder', () => {
  it('yields every frame of one chunk holding several frames', () => {
    assert.deepEqual(collect(new FrameDecoder(), [STREAM]), EXPECTED);
  });

  it('yields the same frames whatever single split point divides the stream', () => {
    for (let split = 0; split <= STREAM.length; split++) {
      const decoder = new FrameDecoder();
      const frames = collect(decoder, [STREAM.subarray(0, split), STREAM.subarray(split)]);
      assert.deepEqual(frames, EXPECTED, `split at ${split}`);
      assert.equal(decoder.bufferedBytes, 0);
    }
  });

  it('yields the same frames when fed one byte at a time', () => {
    const decoder = new FrameDecoder();
    const chunks = Array.from(STREAM, (b) => Uint8Array.of(b));
    assert.deepEqual(collect(decoder, chunks), EXPECTED);
    assert.equal(decoder.hasPartialFrame, false);
  });

  it('yields the same frames for random chunkings of random frames', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 12 }),
        fc.array(fc.nat({ max: 600 }), { maxLength: 20 }),
        (bodies, cuts) => {
          const stream = concat(bodies.map(encodeFrame));
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const chunks: Uint8Array[] = [];
          let from = 0;
          for (const p of [...points, stream.length]) {
            chunks.push(stream.slice(from, p));
            from = p;
          }
          assert.deepEqual(collect(new FrameDecoder(), chunks), bufs(...bodies));
        },
      ),
    );
  });

  it('accepts a non-minimal length prefix followed directly by the next frame', () => {
    // 0x80 0x00 is a two-byte encoding of zero.
    const stream = Uint8Array.of(0x80, 0x00, 0x01, 0xaa);
    for (let split = 0; split <= stream.length; split++) {
      const frames = collect(new FrameDecoder(), [stream.subarray(0, split), stream.subarray(split)]);
      assert.deepEqual(frames, bufs(new Uint8Array(0), Uint8Array.of(0xaa)), `split at ${split}`);
    }
  });

  it('yields a zero-length frame as an empty body, which decodes as an empty Request', () => {
    const frames = [...new FrameDecoder().push(Uint8Array.of(0x00))];
    assert.equal(frames.length, 1);
    assert.equal(frames[0]?.length, 0);
    assert.throws(() => decodeRequest(frames[0] as Uint8Array), { code: 'KUDF_PROTO_EMPTY' });
  });

  it('rejects a declared length of 2^31 from the length prefix alone', () => {
    const decoder = new FrameDecoder();
    const prefix = encodeUvarint(2 ** 31);
    assert.equal(prefix.length, 5);
    assert.throws(() => [...decoder.push(prefix)], isFrameError('KUDF_FRAME_TOO_LARGE'));
  });

  it('rejects an oversized length as soon as a split prefix completes', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 1000 });
    const prefix = encodeUvarint(1001);
    assert.deepEqual([...decoder.push(prefix.subarray(0, 1))], []);
    assert.throws(() => [...decoder.push(prefix.subarray(1))], isFrameError('KUDF_FRAME_TOO_LARGE'));
  });

  it('assembles a frame over 4 MiB that arrives in 64 KiB pieces between two small ones', () => {
    const huge = body(5 * 1024 * 1024 + 3, 11);
    const stream = concat([encodeFrame(body(10, 1)), encodeFrame(huge), encodeFrame(body(20, 2))]);
    const pieces: Uint8Array[] = [];
    for (let at = 0; at < stream.length; at += 64 * 1024) pieces.push(stream.subarray(at, at + 64 * 1024));
    const frames = collect(new FrameDecoder(), pieces);
    assert.equal(frames.length, 3);
    assert.ok(frames[1]?.equals(Buffer.from(huge)), 'the huge frame is intact');
    assert.deepEqual([frames[0], frames[2]], bufs(body(10, 1), body(20, 2)));
  });

  it('accepts a frame of exactly maxFrameBytes', () => {
    const frames = collect(new FrameDecoder({ maxFrameBytes: 200 }), [encodeFrame(body(200, 9))]);
    assert.deepEqual(frames, bufs(body(200, 9)));
  });

  it('rejects an 11-byte length prefix', () => {
    const eleven = Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00);
    assert.throws(() => [...new FrameDecoder().push(eleven)], isFrameError('KUDF_FRAME_BAD_LENGTH'));
  });

  it('rejects a length prefix with bits beyond 64', () => {
    const tooWide = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f);
    assert.throws(() => [...new FrameDecoder().push(tooWide)], isFrameError('KUDF_FRAME_BAD_LENGTH'));
  });

  it('hands out the frames before a bad prefix, then throws, then stays failed', () => {
    const decoder = new FrameDecoder({ maxFrameBytes: 10 });
    const stream = concat([encodeFrame(body(2, 1)), encodeUvarint(11)]);
    const seen: Buffer[] = [];
    assert.throws(() => {
      for (const f of decoder.push(stream)) seen.push(Buffer.from(f));
    }, isFrameError('KUDF_FRAME_TOO_LARGE'));
    assert.deepEqual(seen, bufs(body(2, 1)));
    assert.throws(() => decoder.push(Uint8Array.of(0)), isFrameError('KUDF_FRAME_TOO_LARGE'));
  });

  it('reports a partial frame so that EOF in the middle of a frame can be detected', () => {
    const decoder = new FrameDecoder();
    const frame = encodeFrame(body(50, 3));
    assert.deepEqual(collect(decoder, [frame.subarray(0, 20)]), []);
    assert.equal(decoder.hasPartialFrame, true);
    assert.equal(decoder.bufferedBytes, 20);
    assert.deepEqual(collect(decoder, [frame.subarray(20)]), bufs(body(50, 3)));
    assert.equal(decoder.hasPartialFrame, false);
  });

  it('keeps the frames of a push whose iterator was not consumed', () => {
    const decoder = new FrameDecoder();
    const a = encodeFrame(body(5, 1));
    const b = encodeFrame(body(6, 2));
    void decoder.push(a);
    assert.deepEqual(collect(decoder, [b]), bufs(body(5, 1), body(6, 2)));
  });

  it('offers an allocation-free feed/nextFrame loop equivalent to push', () => {
    const decoder = new FrameDecoder();
    const seen: Buffer[] = [];
    for (let split = 0; split < STREAM.length; split += 997) {
      decoder.feed(STREAM.subarray(split, Math.min(split + 997, STREAM.length)));
      for (let f = decoder.nextFrame(); f !== undefined; f = decoder.nextFrame()) seen.push(Buffer.from(f));
    }
    assert.deepEqual(seen, EXPECTED);
  });
});

describe('FrameWriter', () => {
  it('accumulates frames that a FrameDecoder splits back into the same bodies', () => {
    const writer = new FrameWriter({ initialCapacity: 16 });
    for (const b of BODIES) writer.writeFrame(b);
    assert.equal(writer.length, STREAM.length);
    const out = writer.take();
    assert.deepEqual([...out], [...STREAM]);
    assert.equal(writer.length, 0);
    assert.equal(writer.take().length, 0);
  });

  it('hands out buffers that later writes do not overwrite', () => {
    const writer = new FrameWriter();
    writer.writeResponse({ kind: 'keepalive', time: 1n });
    const first = writer.take();
    const copy = [...first];
    writer.writeResponse({ kind: 'keepalive', time: 2n });
    writer.take();
    assert.deepEqual([...first], copy);
  });

  it('appends nothing when a message cannot be encoded', () => {
    const writer = new FrameWriter();
    writer.writeResponse({ kind: 'keepalive', time: 7n });
    const before = writer.length;
    assert.throws(() => writer.writeResponse({ kind: 'keepalive', time: 2n ** 64n }), {
      code: 'KUDF_PROTO_UNENCODABLE',
    });
    assert.equal(writer.length, before);
  });
});
