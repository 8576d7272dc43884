/**
 * Unsigned LEB128 varints as protobuf uses them: 7 bits per byte, least significant group
 * first, high bit set on every byte but the last. At most 10 bytes carry 64 bits.
 */

/** Longest legal encoding of a 64-bit value. */
export const MAX_VARINT_BYTES = 10;

/**
 * Outcome of reading a uvarint. `incomplete` is a normal state (the bytes have not all
 * arrived yet); `overflow` means the bytes can never form a valid 64-bit varint.
 */
export type UvarintResult<T> =
  { status: 'ok'; value: T; bytes: number } | { status: 'incomplete' } | { status: 'overflow' };

/** Allocation-free outcome codes for hot paths (see {@link scanUvarint}). */
export const VARINT_OK = 0;
export const VARINT_INCOMPLETE = 1;
export const VARINT_OVERFLOW = 2;
export type VarintStatus = typeof VARINT_OK | typeof VARINT_INCOMPLETE | typeof VARINT_OVERFLOW;

/** Reusable output slot for {@link scanUvarint}. */
export interface VarintSlot {
  value: number;
  bytes: number;
}

/**
 * Reads a uvarint at `buf[offset]`, not looking at or beyond `end`, into `out` without
 * allocating. `out.value` is exact up to 2^53 and approximate above (fine for comparing a
 * length against a limit, wrong for int64 payloads: use {@link readUvarint64} for those).
 */
export function scanUvarint(buf: Uint8Array, offset: number, end: number, out: VarintSlot): VarintStatus {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const p = offset + i;
    if (p >= end) return VARINT_INCOMPLETE;
    const b = buf[p] as number;
    // The 10th byte holds bit 63 only; anything above it does not fit in 64 bits.
    if (i === MAX_VARINT_BYTES - 1 && b > 1) return VARINT_OVERFLOW;
    // Multiplication, not shifts: shifts truncate to 32 bits.
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      out.value = value;
      out.bytes = i + 1;
      return VARINT_OK;
    }
    scale *= 128;
  }
  return VARINT_OVERFLOW;
}

/**
 * Reads a uvarint as a `number` (exact up to 2^53, approximate above). Never throws for
 * missing bytes: returns `{ status: 'incomplete' }`.
 */
export function readUvarint(buf: Uint8Array, offset = 0, end = buf.length): UvarintResult<number> {
  const slot: VarintSlot = { value: 0, bytes: 0 };
  const s = scanUvarint(buf, offset, end, slot);
  if (s === VARINT_OK) return { status: 'ok', value: slot.value, bytes: slot.bytes };
  return s === VARINT_INCOMPLETE ? { status: 'incomplete' } : { status: 'overflow' };
}

/** Reads a uvarint as an exact unsigned 64-bit `bigint`. */
export function readUvarint64(buf: Uint8Array, offset = 0, end = buf.length): UvarintResult<bigint> {
  let value = 0n;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    const p = offset + i;
    if (p >= end) return { status: 'incomplete' };
    const b = buf[p] as number;
    if (i === MAX_VARINT_BYTES - 1 && b > 1) return { status: 'overflow' };
    value |= BigInt(b & 0x7f) << BigInt(7 * i);
    if (b < 0x80) return { status: 'ok', value, bytes: i + 1 };
  }
  return { status: 'overflow' };
}

/** Number of bytes the uvarint encoding of a non-negative safe integer takes. */
export function uvarintSize(value: number): number {
  let n = 1;
  while (value >= 128) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

/**
 * Writes a non-negative safe integer as a uvarint at `buf[offset]` (the caller guarantees
 * room for {@link uvarintSize} bytes) and returns the offset after it.
 */
export function writeUvarint(value: number, buf: Uint8Array, offset: number): number {
  while (value >= 128) {
    buf[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  buf[offset++] = value;
  return offset;
}

/** The uvarint encoding of a non-negative safe integer, or of an unsigned 64-bit bigint. */
export function encodeUvarint(value: number | bigint): Uint8Array {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`uvarint needs a non-negative safe integer, got ${value}`);
    }
    const out = new Uint8Array(uvarintSize(value));
    writeUvarint(value, out, 0);
    return out;
  }
  if (value < 0n || value > 0xffff_ffff_ffff_ffffn) {
    throw new RangeError(`uvarint needs an unsigned 64-bit value, got ${value}`);
  }
  const bytes: number[] = [];
  while (value >= 128n) {
    bytes.push(Number(value & 0x7fn) | 0x80);
    value >>= 7n;
  }
  bytes.push(Number(value));
  return Uint8Array.from(bytes);
}
