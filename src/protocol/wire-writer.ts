import { ProtocolError } from './errors.js';
import { highBits, INT64_MAX, INT64_MIN, lowBits, splitInt64 } from './int64-bits.js';
import { uvarintSize } from './varint.js';

const INITIAL_CAPACITY = 16 * 1024;
// Strings up to this many UTF-16 units are tried as ASCII byte by byte before Buffer.write.
const SHORT_STRING = 48;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * An append-only protobuf writer over one growing buffer, reused across messages.
 * Nested lengths are not precomputed: a length slot is reserved, the payload written,
 * and the payload shifted only if the real length needs a different number of bytes.
 */
export class WireWriter {
  buf: Buffer;
  pos = 0;
  private readonly f64 = new Float64Array(1);
  private readonly f64Bytes = new Uint8Array(this.f64.buffer);

  constructor(initialCapacity = INITIAL_CAPACITY) {
    this.buf = Buffer.allocUnsafe(initialCapacity);
  }

  /** Makes room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(grown, 0, 0, this.pos);
    this.buf = grown;
  }

  /** Copies out the bytes written so far. */
  copy(from = 0): Uint8Array {
    const out = Buffer.allocUnsafe(this.pos - from);
    this.buf.copy(out, 0, from, this.pos);
    return out;
  }

  /** A uvarint of a non-negative safe integer. */
  uvarint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (value >= 128) {
      buf[pos++] = (value % 128) | 0x80;
      value = Math.floor(value / 128);
    }
    buf[pos++] = value;
    this.pos = pos;
  }

  /** A tag for fields 1..15 (one byte) or above; `key` is `(field << 3) | wireType`. */
  tag(key: number): void {
    if (key < 128) {
      this.ensure(1);
      this.buf[this.pos++] = key;
    } else {
      this.uvarint(key);
    }
  }

  /** An int64 as a 64-bit two's-complement varint (negative values take 10 bytes). */
  int64(value: bigint): void {
    // The typed-array store would silently wrap an out-of-range value.
    if (value > INT64_MAX || value < INT64_MIN) {
      throw new ProtocolError('KUDF_PROTO_UNENCODABLE', `int64 value ${value} is outside the int64 range`);
    }
    splitInt64(value);
    let lo = lowBits();
    let hi = highBits();
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (hi !== 0) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo >= 128) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
  }

  bool(value: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = value ? 1 : 0;
  }

  double(value: number): void {
    this.ensure(8);
    if (LITTLE_ENDIAN) {
      this.f64[0] = value;
      const bytes = this.f64Bytes;
      const buf = this.buf;
      const p = this.pos;
      buf[p] = bytes[0] as number;
      buf[p + 1] = bytes[1] as number;
      buf[p + 2] = bytes[2] as number;
      buf[p + 3] = bytes[3] as number;
      buf[p + 4] = bytes[4] as number;
      buf[p + 5] = bytes[5] as number;
      buf[p + 6] = bytes[6] as number;
      buf[p + 7] = bytes[7] as number;
    } else {
      this.buf.writeDoubleLE(value, this.pos);
    }
    this.pos += 8;
  }

  /** A length-delimited UTF-8 string (without its tag). */
  string(value: string): void {
    const n = value.length;
    if (n <= SHORT_STRING) {
      // A length below 128 fits the one-byte slot; try plain ASCII first.
      this.ensure(n * 3 + 1);
      const buf = this.buf;
      const lenAt = this.pos;
      let p = lenAt + 1;
      let ascii = true;
      for (let i = 0; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        buf[p++] = c;
      }
      if (ascii) {
        buf[lenAt] = n;
        this.pos = p;
        return;
      }
      if (n * 3 < 128) {
        const written = buf.write(value, lenAt + 1, 'utf8');
        buf[lenAt] = written;
        this.pos = lenAt + 1 + written;
        return;
      }
    }
    const byteLength = Buffer.byteLength(value, 'utf8');
    this.uvarint(byteLength);
    this.ensure(byteLength);
    this.pos += this.buf.write(value, this.pos, 'utf8');
  }

  bytes(value: Uint8Array): void {
    this.uvarint(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** Reserves a length slot of `reserve` bytes; returns the mark for {@link endLength}. */
  beginLength(reserve = 1): number {
    this.ensure(reserve);
    const mark = this.pos;
    this.pos += reserve;
    return mark;
  }

  /** Writes the length of everything after the slot at `mark`, resizing the slot if needed. */
  endLength(mark: number, reserve = 1): void {
    const start = mark + reserve;
    const len = this.pos - start;
    const size = len < 128 ? 1 : uvarintSize(len);
    if (size !== reserve) {
      this.ensure(size - reserve);
      this.buf.copyWithin(mark + size, start, this.pos);
      this.pos += size - reserve;
    }
    let v = len;
    let p = mark;
    const buf = this.buf;
    while (v >= 128) {
      buf[p++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    buf[p] = v;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }
}
