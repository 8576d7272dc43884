import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReplayRing } from '../../../src/host/internal.js';

function bytes(from: number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (from + i) % 251);
}

describe('ReplayRing', () => {
  it('gives back the input from any position it still holds, across wrap-arounds and growth', () => {
    const ring = new ReplayRing(10_000);
    let pos = 0;
    for (const n of [1, 700, 4000, 3, 9000, 2500, 10_000, 12_345, 17]) {
      ring.push(bytes(pos, n));
      pos += n;
      assert.equal(ring.end, pos);
      assert.equal(ring.start, Math.max(0, pos - 10_000));
      for (const at of [ring.start, ring.start + 1, pos - 5, pos]) {
        if (at < ring.start || at > pos) continue;
        assert.deepEqual(ring.from(at), bytes(at, pos - at), `from ${at} after ${pos} bytes`);
      }
    }
  });

  it('says when bytes from a position are gone, and forgets what a checkpoint covers', () => {
    const ring = new ReplayRing(100);
    ring.push(bytes(0, 150));
    assert.equal(ring.from(49), undefined);
    assert.deepEqual(ring.from(50), bytes(50, 100));
    ring.dropBefore(120);
    assert.equal(ring.length, 30);
    assert.equal(ring.from(119), undefined);
    assert.deepEqual(ring.from(120), bytes(120, 30));
  });
});
