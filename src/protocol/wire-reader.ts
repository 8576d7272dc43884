import { int64FromBits } from './int64-bits.js';

/** Raised by {@link WireReader}; the codec rewraps it as a `ProtocolError` naming the message. */
export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

const MAX_GROUP_DEPTH = 64;

// ---- short-string intern cache ----------------------------------------------------------------
// Names, tag keys and values, field keys, string field values and group keys repeat from point
// to point. ASCII strings up to INTERN_MAX_BYTES are looked up in a direct-mapped cache keyed on
// their bytes: a hit returns the very string decoded before (no allocation, its hash already
// computed for Map lookups, and state that keeps it shares one copy). A miss replaces the slot,
// so a peer sending only fresh strings costs one extra hash per string and never more memory
// than the table: INTERN_SLOTS * (INTERN_MAX_BYTES bytes + one string of at most that length),
// about 300 KiB per thread.
const INTERN_MAX_BYTES = 32;
const INTERN_SLOTS = 4096; // a power of two: the slot is `hash & (INTERN_SLOTS - 1)`
const internStrings: string[] = new Array<string>(INTERN_SLOTS).fill('');
// Slot i's bytes live at [i * INTERN_MAX_BYTES, i * INTERN_MAX_BYTES + internStrings[i].length).
const internBytes = new Uint8Array(INTERN_SLOTS * INTERN_MAX_BYTES);
// Plain arrays of char codes, one per length, for String.fromCharCode.apply on a miss: one flat
// string in one call (a `+=` per byte makes a string per byte, and a cons string from 13 on).
const charCodes: number[][] = Array.from({ length: INTERN_MAX_BYTES + 1 }, (_, n) => new Array<number>(n).fill(0));

/** The string of the ASCII bytes [start, end) of `buf` (1..INTERN_MAX_BYTES), via the intern cache. */
function internAscii(buf: Uint8Array, start: number, end: number, hash: number): string {
  const len = end - start;
  // FNV-style multiply leaves the low bits weakest: fold the high bits in before masking.
  const slot = (hash ^ (hash >>> 16)) & (INTERN_SLOTS - 1);
  const cached = internStrings[slot] as string;
  const base = slot * INTERN_MAX_BYTES;
  if (cached.length === len) {
    let i = 0;
    while (i < len && internBytes[base + i] === buf[start + i]) i++;
    if (i === len) return cached;
  }
  const codes = charCodes[len] as number[];
  for (let i = 0; i < len; i++) {
    const c = buf[start + i] as number;
    codes[i] = c;
    internBytes[base + i] = c;
  }
  const fresh = String.fromCharCode.apply(null, codes);
  internStrings[slot] = fresh;
  return fresh;
}

/** Offsets into a Request body: its point's entries before the fields are [start, end). */
export interface PointHeader {
  start: number;
  end: number;
}

// Bodies are plain Uint8Array views (a Buffer view per frame would cost an allocation per point):
// Buffer's native UTF-8 slicer reads any Uint8Array (invalid bytes become U+FFFD, as in
// TextDecoder, which serves where the slicer is missing).
const nativeUtf8Slice = (
  Buffer.prototype as unknown as { utf8Slice?: (this: Uint8Array, start: number, end: number) => string }
).utf8Slice;
const textDecoder = new TextDecoder();

function utf8(buf: Uint8Array, start: number, end: number): string {
  return nativeUtf8Slice !== undefined
    ? nativeUtf8Slice.call(buf, start, end)
    : textDecoder.decode(buf.subarray(start, end));
}

/**
 * A cursor over one protobuf body. `end` is narrowed while a nested message is read and
 * restored afterwards, so one reader serves a whole Request.
 */
export class WireReader {
  buf: Uint8Array;
  pos: number;
  end: number;
  /** Set by readPoint: where the last point's bytes before its fields lie (start -1: unusable). */
  readonly pointHeader: PointHeader = { start: -1, end: -1 };
  private readonly f64 = new Float64Array(1);
  private readonly f64Bytes = new Uint8Array(this.f64.buffer);

  /** Where the message starts in `buf`: error messages give offsets from here. */
  private base = 0;

  constructor(body: Uint8Array) {
    this.buf = body;
    this.pos = 0;
    this.end = body.length;
  }

  /** Reads the message in bytes [start, end) of `buf`; offsets (pos, pointHeader) stay those of `buf`. */
  reset(buf: Uint8Array, start = 0, end = buf.length): void {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.base = start;
  }

  /** The read position from the start of the message, for error messages. */
  private get offset(): number {
    return this.pos - this.base;
  }

  /** A varint that must fit in 32 bits unsigned: tags and lengths, where more is corruption. */
  uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      if (pos >= this.end) throw new WireFormatError(`truncated varint at offset ${this.offset}`);
      const b = buf[pos++] as number;
      if (shift === 28) {
        // The fifth byte may only carry bits 28..31 and must end the varint.
        if (b > 0x0f) throw new WireFormatError(`tag or length beyond 32 bits at offset ${this.offset}`);
        value = (value | (b << 28)) >>> 0;
        break;
      }
      value |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    this.pos = pos;
    return value >>> 0;
  }

  /** A varint read as a two's-complement int64. */
  int64(): bigint {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let b: number;
    // Bytes 0-3 fill bits 0..27 of lo.
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= this.end) throw new WireFormatError(`truncated varint at offset ${this.offset}`);
      b = buf[pos++] as number;
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return int64FromBits(lo >>> 0, 0);
      }
    }
    // Byte 4 straddles: 4 bits to lo, 3 bits to hi.
    if (pos >= this.end) throw new WireFormatError(`truncated varint at offset ${this.offset}`);
    b = buf[pos++] as number;
    lo |= (b & 0x0f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      // Bytes 5-9 fill hi from bit 3.
      for (let shift = 3; ; shift += 7) {
        if (pos >= this.end) throw new WireFormatError(`truncated varint at offset ${this.offset}`);
        b = buf[pos++] as number;
        if (shift === 31 && b > 1) throw new WireFormatError(`varint beyond 64 bits at offset ${this.offset}`);
        hi |= (b & 0x7f) << shift;
        if (b < 0x80) break;
        if (shift === 31) throw new WireFormatError(`varint longer than 10 bytes at offset ${this.offset}`);
      }
    }
    this.pos = pos;
    return int64FromBits(lo >>> 0, hi >>> 0);
  }

  bool(): boolean {
    // A bool is a varint of any length; non-zero is true.
    const buf = this.buf;
    if (this.pos < this.end && (buf[this.pos] as number) < 0x80) return buf[this.pos++] !== 0;
    return this.int64() !== 0n;
  }

  double(): number {
    if (this.end - this.pos < 8) throw new WireFormatError(`truncated fixed64 at offset ${this.offset}`);
    const bytes = this.f64Bytes;
    const buf = this.buf;
    const p = this.pos;
    // The wire is little-endian; Node runs on little-endian hosts in practice, and a DataView
    // is the portable fallback.
    if (LITTLE_ENDIAN) {
      bytes[0] = buf[p] as number;
      bytes[1] = buf[p + 1] as number;
      bytes[2] = buf[p + 2] as number;
      bytes[3] = buf[p + 3] as number;
      bytes[4] = buf[p + 4] as number;
      bytes[5] = buf[p + 5] as number;
      bytes[6] = buf[p + 6] as number;
      bytes[7] = buf[p + 7] as number;
      this.pos = p + 8;
      return this.f64[0] as number;
    }
    this.pos = p + 8;
    return new DataView(buf.buffer, buf.byteOffset + p, 8).getFloat64(0, true);
  }

  /** Reads a length prefix and returns the end offset of the delimited payload. */
  delimitedEnd(): number {
    const len = this.uint32();
    const end = this.pos + len;
    if (end > this.end)
      throw new WireFormatError(`length ${len} at offset ${this.offset} runs past the end of the message`);
    return end;
  }

  /** A length-delimited UTF-8 string; short ASCII ones come from the intern cache (see above). */
  string(): string {
    const end = this.delimitedEnd();
    const start = this.pos;
    this.pos = end;
    const len = end - start;
    if (len === 0) return '';
    const buf = this.buf;
    if (len <= INTERN_MAX_BYTES) {
      // One pass checks for ASCII and hashes the bytes (FNV-1a, seeded with the length).
      let hash = len;
      for (let i = start; i < end; i++) {
        const c = buf[i] as number;
        if (c >= 0x80) return utf8(buf, start, end);
        hash = Math.imul(hash ^ c, 0x01000193);
      }
      return internAscii(buf, start, end, hash);
    }
    return utf8(buf, start, end);
  }

  /** A length-delimited byte string, copied so it outlives the input buffer. */
  bytes(): Uint8Array {
    const end = this.delimitedEnd();
    const out = new Uint8Array(end - this.pos);
    out.set(this.buf.subarray(this.pos, end));
    this.pos = end;
    return out;
  }

  /** Skips one field's payload of the given wire type. */
  skip(wireType: number, depth = 0): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.int64();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_LEN:
        this.pos = this.delimitedEnd();
        return;
      case WIRE_START_GROUP: {
        if (depth >= MAX_GROUP_DEPTH) throw new WireFormatError('groups nested too deeply');
        for (;;) {
          const tag = this.uint32();
          if ((tag & 7) === WIRE_END_GROUP) return;
          this.skip(tag & 7, depth + 1);
        }
      }
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        throw new WireFormatError(`invalid wire type ${wireType} at offset ${this.offset}`);
    }
  }

  private advance(n: number): void {
    if (this.end - this.pos < n) throw new WireFormatError(`truncated field at offset ${this.offset}`);
    this.pos += n;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
