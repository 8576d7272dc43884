import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { sliceFrames } from '../../../bench/internal.js';
import { FrameDecoder, encodeUvarint } from '../../../src/protocol/index.js';

function frames(sizes: number[]): Buffer {
  return Buffer.concat(sizes.flatMap((n, i) => [encodeUvarint(n), Buffer.alloc(n, i % 251)]));
}

function countFrames(bytes: Uint8Array): number {
  const d = new FrameDecoder({ maxFrameBytes: 1 << 20 });
  d.feed(bytes);
  let n = 0;
  while (d.nextFrame() !== undefined) n++;
  assert.equal(d.hasPartialFrame, false, 'a slice ends inside a frame');
  return n;
}

describe('load generator: writes cut from a chunk', () => {
  it('are whole frames, at most maxBytes unless one frame is larger, and add up to the chunk', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 2000 }),
        (sizes, maxBytes) => {
          const chunk = frames(sizes);
          const slices = sliceFrames(chunk, maxBytes);
          assert.deepEqual(Buffer.concat(slices.map((s) => s.bytes)), chunk);
          assert.equal(
            slices.reduce((sum, s) => sum + s.points, 0),
            sizes.length,
          );
          for (const s of slices) {
            assert.equal(countFrames(s.bytes), s.points);
            if (s.points > 1) assert.ok(s.bytes.length <= maxBytes, `${s.bytes.length} > ${maxBytes}`);
          }
        },
      ),
    );
  });
});
