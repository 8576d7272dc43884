import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodeUvarint, readUvarint, readUvarint64, uvarintSize } from '../../../src/protocol/index.js';

describe('uvarint', () => {
  it('reads what it writes for every safe integer', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        const bytes = encodeUvarint(n);
        assert.equal(bytes.length, uvarintSize(n));
        assert.deepEqual(readUvarint(bytes), { status: 'ok', value: n, bytes: bytes.length });
      }),
    );
  });

  it('reads every unsigned 64-bit value exactly as a bigint', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (n) => {
        const bytes = encodeUvarint(n);
        assert.deepEqual(readUvarint64(bytes), { status: 'ok', value: n, bytes: bytes.length });
      }),
    );
  });

  it('reports incomplete, without throwing, when the last byte still has its continuation bit', () => {
    assert.deepEqual(readUvarint(Uint8Array.of(0x80, 0x80)), { status: 'incomplete' });
    assert.deepEqual(readUvarint(new Uint8Array(0)), { status: 'incomplete' });
    assert.deepEqual(readUvarint64(Uint8Array.of(0xff)), { status: 'incomplete' });
  });

  it('reports overflow for an 11-byte varint and for bits beyond 64', () => {
    const eleven = Uint8Array.of(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01);
    assert.deepEqual(readUvarint(eleven), { status: 'overflow' });
    assert.deepEqual(readUvarint64(eleven), { status: 'overflow' });
    const tenWithBit64 = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02);
    assert.deepEqual(readUvarint(tenWithBit64), { status: 'overflow' });
  });

  it('honours the offset and end arguments', () => {
    const buf = Uint8Array.of(0xff, 0xac, 0x02, 0x00);
    assert.deepEqual(readUvarint(buf, 1), { status: 'ok', value: 300, bytes: 2 });
    assert.deepEqual(readUvarint(buf, 1, 2), { status: 'incomplete' });
  });
});
