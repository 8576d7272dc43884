import { decodeResponse, type Response } from '../src/protocol/index.js';

// First byte(s) of a Response body: the oneof tag `(member << 3) | 2` as a varint.
const TAG_KEEPALIVE = (3 << 3) | 2;
// Members 16..18 need a two-byte tag: low 7 bits with the continuation bit, then 0x01.
const TAG_BEGIN_LO = (((16 << 3) | 2) & 0x7f) | 0x80;
const TAG_POINT_LO = (((17 << 3) | 2) & 0x7f) | 0x80;
const TAG_END_LO = (((18 << 3) | 2) & 0x7f) | 0x80;
// Enough body bytes to classify any frame and to read a whole KeepaliveResponse
// (tag, length, field tag, 10-byte varint).
const CLASSIFY_BYTES = 16;
// Length prefix (at most 10 bytes) plus the classifying bytes.
const HEADER_SPAN = 10 + CLASSIFY_BYTES;

export interface CounterEvents {
  /** A KeepaliveResponse arrived; `time` is the echoed request time. */
  keepalive(time: bigint): void;
  /** Any response that is neither data nor keepalive (Init, Error, ...), fully decoded. */
  management(response: Response): void;
}

/**
 * Counts the responses of a byte stream by reading only frame lengths and the oneof tag, so
 * the load generator's reader costs next to nothing per point. Bodies of data frames are
 * skipped, even when they span chunks; only keepalive and management frames are parsed.
 */
export class ResponseCounter {
  points = 0;
  batchFrames = 0;
  frames = 0;
  bytes = 0;
  // Bytes of a frame already classified that are still to come in later chunks.
  private skip = 0;
  // The start of a frame whose header was cut by a chunk boundary (at most HEADER_SPAN bytes),
  // or a whole management frame being assembled.
  private carry: Buffer = Buffer.alloc(0);

  constructor(private readonly events: CounterEvents) {}

  push(chunk: Buffer): void {
    this.bytes += chunk.length;
    let pos = 0;
    if (this.skip > 0) {
      const n = Math.min(this.skip, chunk.length);
      this.skip -= n;
      pos = n;
      if (this.skip > 0) return;
    }
    if (this.carry.length > 0) {
      // Join the carried head with just enough of this chunk to classify that frame; only a
      // large management frame needs the rest of the chunk.
      const old = this.carry.length;
      const available = chunk.length - pos;
      const take = Math.min(available, Math.max(HEADER_SPAN, this.managementNeed()));
      let joined = Buffer.concat([this.carry, chunk.subarray(pos, pos + take)]);
      let total = this.frameAt(joined, 0, joined.length);
      if (total < 0 && take < available) {
        joined = Buffer.concat([this.carry, chunk.subarray(pos)]);
        total = this.frameAt(joined, 0, joined.length);
      }
      if (total < 0) {
        this.carry = joined;
        return;
      }
      this.carry = Buffer.alloc(0);
      const fromChunk = total - old;
      if (fromChunk > available) {
        this.skip = fromChunk - available;
        return;
      }
      pos += fromChunk;
    }
    while (pos < chunk.length) {
      const total = this.frameAt(chunk, pos, chunk.length);
      if (total < 0) {
        this.carry = Buffer.from(chunk.subarray(pos));
        return;
      }
      const available = chunk.length - pos;
      if (total > available) {
        this.skip = total - available;
        return;
      }
      pos += total;
    }
  }

  /** True when no frame is cut in the middle: at EOF anything else means a truncated reply. */
  get atFrameBoundary(): boolean {
    return this.skip === 0 && this.carry.length === 0;
  }

  // Bytes a carried management frame needs in full (0 when not known yet).
  private managementNeed(): number {
    const len = readLength(this.carry, 0, this.carry.length);
    return len < 0 ? 0 : Math.floor(len / 16) + (len % 16);
  }

  /**
   * Classifies and counts the frame starting at `pos`; returns its total size (prefix + body),
   * or -1 when more bytes are needed before it can be classified.
   */
  private frameAt(buf: Buffer, pos: number, end: number): number {
    const len = readLength(buf, pos, end);
    if (len < 0) return -1;
    const size = len % 16;
    const bodyLength = Math.floor(len / 16);
    const bodyStart = pos + size;
    const total = size + bodyLength;
    const have = end - bodyStart;
    if (have < Math.min(bodyLength, CLASSIFY_BYTES)) return -1;
    const first = buf[bodyStart] as number;
    const second = bodyLength > 1 ? (buf[bodyStart + 1] as number) : 0;
    if (second === 0x01 && first === TAG_POINT_LO) {
      this.frames++;
      this.points++;
      return total;
    }
    if (second === 0x01 && (first === TAG_BEGIN_LO || first === TAG_END_LO)) {
      this.frames++;
      this.batchFrames++;
      return total;
    }
    if (first === TAG_KEEPALIVE && bodyLength <= CLASSIFY_BYTES) {
      this.frames++;
      this.events.keepalive(readKeepaliveTime(buf, bodyStart, bodyStart + bodyLength));
      return total;
    }
    // Management frames are rare and small: wait for the whole body, then decode it properly.
    if (have < bodyLength) return -1;
    this.frames++;
    this.events.management(decodeResponse(buf.subarray(bodyStart, bodyStart + bodyLength)));
    return total;
  }
}

/**
 * The frame length prefix at `pos` as one number, `value * 16 + size` (size: 1..10 bytes), or -1
 * while it is incomplete. One number instead of an object: this runs once per frame, and the
 * generator's own garbage collections would show up in the keepalive round trips it measures.
 */
function readLength(buf: Uint8Array, pos: number, end: number): number {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < end && i < pos + 10; i++) {
    const b = buf[i] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value * 16 + (i - pos + 1);
    scale *= 128;
  }
  if (end - pos >= 10) throw new Error('bad frame length prefix in a response');
  return -1;
}

// KeepaliveResponse{time = 1 (varint)} inside Response{keepalive = 3}.
function readKeepaliveTime(buf: Uint8Array, start: number, end: number): bigint {
  let pos = start + 1;
  const inner = buf[pos++] as number;
  const innerEnd = Math.min(end, pos + inner);
  let time = 0n;
  while (pos < innerEnd) {
    const tag = buf[pos++] as number;
    let value = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[pos++] as number;
      value |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (b < 0x80 || pos >= innerEnd) break;
    }
    if (tag === 0x08) time = value;
  }
  return time;
}
