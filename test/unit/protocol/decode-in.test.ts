import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  FrameDecoder,
  decodeRequest,
  decodeRequestIn,
  encodeFrame,
  encodeRequest,
  type FrameBody,
  type PointHeader,
} from '../../../src/protocol/index.js';
import { point } from '../../helpers/index.js';

const padding = fc.uint8Array({ maxLength: 40 });

/** The outcome of a decode: the request and the point header made relative to the body, or the error message. */
function outcome(run: (h: PointHeader) => unknown, base: number): unknown {
  const h: PointHeader = { start: -2, end: -2 };
  try {
    const request = run(h);
    return { request, start: h.start < 0 ? h.start : h.start - base, end: h.start < 0 ? h.end : h.end - base };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

describe('decodeRequestIn', () => {
  it('decodes a body inside a larger buffer exactly as the body alone, point header included', () => {
    fc.assert(
      fc.property(point, padding, padding, (p, before, after) => {
        const body = encodeRequest({ kind: 'point', point: p });
        const buf = new Uint8Array([...before, ...body, ...after]);
        const alone = outcome((h) => decodeRequest(body, h), 0);
        const inside = outcome(
          (h) => decodeRequestIn(buf, before.length, before.length + body.length, h),
          before.length,
        );
        assert.deepEqual(inside, alone);
      }),
    );
  });

  it('reports a cut or corrupted body with the same message, offsets counted from the body', () => {
    fc.assert(
      fc.property(point, padding, fc.nat(), fc.nat(), (p, before, cutAt, flipAt) => {
        const whole = encodeRequest({ kind: 'point', point: p });
        const body = whole.slice(0, cutAt % (whole.length + 1));
        if (body.length > 0) body[flipAt % body.length] = (body[flipAt % body.length] as number) ^ 0xff;
        // Bytes after the body that would complete it must not be read.
        const buf = new Uint8Array([...before, ...body, ...whole.subarray(body.length)]);
        const alone = outcome((h) => decodeRequest(body, h), 0);
        const inside = outcome(
          (h) => decodeRequestIn(buf, before.length, before.length + body.length, h),
          before.length,
        );
        assert.deepEqual(inside, alone);
      }),
    );
  });
});

describe('FrameDecoder.nextFrameBody', () => {
  it('finds the frames nextFrame finds, whether they lie in a chunk or span chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 500 }), { minLength: 1, maxLength: 10 }),
        (bodies, cuts) => {
          const stream = Buffer.concat(bodies.map((b) => encodeFrame(b)));
          const viaViews = new FrameDecoder();
          const viaBodies = new FrameDecoder();
          const fromViews: Buffer[] = [];
          const fromBodies: Buffer[] = [];
          const out: FrameBody = { buf: new Uint8Array(0), start: 0, end: 0 };
          let pos = 0;
          for (let i = 0; pos < stream.length; i++) {
            const chunk = stream.subarray(pos, pos + (cuts[i % cuts.length] as number));
            pos += chunk.length;
            viaViews.feed(chunk);
            for (let f = viaViews.nextFrame(); f !== undefined; f = viaViews.nextFrame())
              fromViews.push(Buffer.from(f));
            viaBodies.feed(chunk);
            while (viaBodies.nextFrameBody(out)) fromBodies.push(Buffer.from(out.buf.subarray(out.start, out.end)));
          }
          assert.deepEqual(
            fromBodies,
            bodies.map((b) => Buffer.from(b)),
          );
          assert.deepEqual(fromViews, fromBodies);
        },
      ),
    );
  });
});
