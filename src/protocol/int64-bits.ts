/**
 * Moves int64 values between `bigint` and two uint32 halves through one shared 8-byte
 * buffer: one bigint allocation per value, no BigInt arithmetic on the hot path.
 */
import { endianness } from 'node:os';

const scratch = new ArrayBuffer(8);
const halves = new Uint32Array(scratch);
const signed = new BigInt64Array(scratch);
// Typed arrays use the platform's byte order, so which half is "low" depends on it.
const LO = endianness() === 'LE' ? 0 : 1;
const HI = 1 - LO;

/** The int64 whose two's-complement bits are `hi:lo` (both uint32). */
export function int64FromBits(lo: number, hi: number): bigint {
  halves[LO] = lo;
  halves[HI] = hi;
  return signed[0] as bigint;
}

/** Splits `value` (wrapped to 64 bits) into uint32 halves, readable via {@link lowBits}/{@link highBits}. */
export function splitInt64(value: bigint): void {
  signed[0] = value;
}

export function lowBits(): number {
  return halves[LO] as number;
}

export function highBits(): number {
  return halves[HI] as number;
}

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
