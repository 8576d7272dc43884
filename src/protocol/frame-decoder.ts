import { FrameError } from './errors.js';
import { scanUvarint, VARINT_INCOMPLETE, VARINT_OK, type VarintSlot } from './varint.js';

/** Default limit on one frame body: far above any real Point, far below what hurts. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

const INITIAL_CAPACITY = 64 * 1024;
// A carry-over buffer grown for one huge frame is dropped once empty, not kept for ever.
const RETAIN_CAPACITY = 4 * 1024 * 1024;

/** Where a frame body lies: bytes [start, end) of `buf`, valid as a frame view is (see {@link FrameDecoder}). */
export interface FrameBody {
  buf: Uint8Array;
  start: number;
  end: number;
}

export interface FrameDecoderOptions {
  /** Largest accepted body in bytes; default {@link DEFAULT_MAX_FRAME_BYTES}. */
  maxFrameBytes?: number;
}

/**
 * Splits a byte stream into uvarint-length-prefixed frame bodies, with no I/O.
 *
 * Frames that lie wholly inside a pushed chunk are handed out as views of that chunk (no
 * copy); only a frame split across chunks is assembled in an internal carry-over buffer
 * that is compacted in place rather than concatenated per frame.
 *
 * Lifetime rules:
 * - A frame body is a view valid only until the next {@link push} / {@link feed}: copy
 *   whatever must outlive it.
 * - The decoder keeps a reference to the last pushed chunk until the next push: do not
 *   mutate a chunk after pushing it.
 * - Consume the iterator returned by `push` before pushing again; unconsumed frames are
 *   not lost (they come out of the next iterator), but bytes pile up unchecked meanwhile.
 *
 * Limits: a declared length above `maxFrameBytes` throws `FrameError` `KUDF_FRAME_TOO_LARGE`,
 * and a length prefix longer than 10 bytes or beyond 64 bits throws `KUDF_FRAME_BAD_LENGTH`,
 * both as soon as the prefix is read, before any of the body is buffered. After such an
 * error the decoder is dead: every later call rethrows the same error.
 */
export class FrameDecoder {
  readonly maxFrameBytes: number;

  // Carry-over buffer: bytes [head, tail) are the start of a frame split across chunks.
  // A plain Uint8Array like the chunks a worker gets: frame bodies then always have one type.
  private carry = new Uint8Array(0);
  private head = 0;
  private tail = 0;
  // Last pushed chunk and how far into it frames have been handed out.
  private chunk: Uint8Array = new Uint8Array(0);
  private chunkPos = 0;
  private failure: FrameError | undefined;
  private readonly slot: VarintSlot = { value: 0, bytes: 0 };
  private readonly scratch: FrameBody = { buf: new Uint8Array(0), start: 0, end: 0 };

  constructor({ maxFrameBytes = DEFAULT_MAX_FRAME_BYTES }: FrameDecoderOptions = {}) {
    if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 0) {
      throw new RangeError(`maxFrameBytes must be a non-negative integer, got ${maxFrameBytes}`);
    }
    this.maxFrameBytes = maxFrameBytes;
  }

  /**
   * Adds a chunk and returns an iterator over every whole frame body now available.
   * Throws `FrameError` (lazily, while iterating, after the frames that precede the bad
   * prefix) on a bad or oversized length prefix.
   */
  push(chunk: Uint8Array): IterableIterator<Uint8Array> {
    this.feed(chunk);
    return this.frames();
  }

  /**
   * Allocation-free alternative to {@link push}: `feed(chunk)`, then call
   * {@link nextFrame} until it returns `undefined`.
   */
  feed(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    // The previous chunk's unread tail must survive: the new chunk may be a different buffer.
    if (this.chunkPos < this.chunk.length) this.appendCarry(this.chunk, this.chunkPos, this.chunk.length);
    this.chunk = chunk;
    this.chunkPos = 0;
  }

  /** The next whole frame body, or `undefined` when more bytes are needed. */
  nextFrame(): Uint8Array | undefined {
    const body = this.scratch;
    return this.nextFrameBody(body) ? body.buf.subarray(body.start, body.end) : undefined;
  }

  /**
   * {@link nextFrame} without making a view: fills `out` with where the body lies and returns
   * true, or returns false when more bytes are needed.
   */
  nextFrameBody(out: FrameBody): boolean {
    if (this.failure) throw this.failure;
    return this.tail > this.head ? this.frameFromCarry(out) : this.frameFromChunk(out);
  }

  /** Bytes received but not yet handed out as frames. */
  get bufferedBytes(): number {
    return this.tail - this.head + (this.chunk.length - this.chunkPos);
  }

  /** True when the stream stopped inside a frame: at EOF this means the peer cut a frame. */
  get hasPartialFrame(): boolean {
    return this.bufferedBytes > 0;
  }

  private *frames(): IterableIterator<Uint8Array> {
    for (let frame = this.nextFrame(); frame !== undefined; frame = this.nextFrame()) yield frame;
  }

  private frameFromChunk(out: FrameBody): boolean {
    const chunk = this.chunk;
    const start = this.chunkPos;
    if (start >= chunk.length) return false;
    if (!this.readLength(chunk, start, chunk.length)) return false;
    const bodyStart = start + this.slot.bytes;
    const bodyEnd = bodyStart + this.slot.value;
    if (bodyEnd > chunk.length) return false;
    this.chunkPos = bodyEnd;
    out.buf = chunk;
    out.start = bodyStart;
    out.end = bodyEnd;
    return true;
  }

  private frameFromCarry(out: FrameBody): boolean {
    // Complete the length prefix one byte at a time: a non-minimal prefix may be followed
    // directly by the next frame, so we must not take more than the prefix needs.
    while (!this.readLength(this.carry, this.head, this.tail)) {
      if (this.chunkPos >= this.chunk.length) return false;
      this.appendCarry(this.chunk, this.chunkPos, this.chunkPos + 1);
      this.chunkPos++;
    }
    const frameBytes = this.slot.bytes + this.slot.value;
    if (frameBytes > RETAIN_CAPACITY && this.carry.length < frameBytes) this.reserve(frameBytes);
    const missing = frameBytes - (this.tail - this.head);
    const take = Math.min(missing, this.chunk.length - this.chunkPos);
    if (take > 0) {
      this.appendCarry(this.chunk, this.chunkPos, this.chunkPos + take);
      this.chunkPos += take;
    }
    if (take < missing) return false;
    const bodyStart = this.head + this.slot.bytes;
    const bodyEnd = this.head + frameBytes;
    // Cursors reset but bytes stay: the view stays valid until the next feed overwrites it.
    this.head = this.tail = 0;
    out.buf = this.carry;
    out.start = bodyStart;
    out.end = bodyEnd;
    // A buffer grown for one huge frame is let go (`out` keeps it alive as long as it is used).
    if (this.carry.length > RETAIN_CAPACITY) this.carry = new Uint8Array(0);
    return true;
  }

  /** Reads a length prefix into `this.slot`; false when incomplete; throws when invalid. */
  private readLength(buf: Uint8Array, pos: number, end: number): boolean {
    const status = scanUvarint(buf, pos, end, this.slot);
    if (status === VARINT_OK) {
      if (this.slot.value > this.maxFrameBytes) {
        this.fail(
          new FrameError(
            'KUDF_FRAME_TOO_LARGE',
            `frame length ${this.slot.value} exceeds the limit of ${this.maxFrameBytes} bytes`,
          ),
        );
      }
      return true;
    }
    if (status === VARINT_INCOMPLETE) return false;
    this.fail(
      new FrameError(
        'KUDF_FRAME_BAD_LENGTH',
        'frame length prefix is not a valid uvarint (over 10 bytes or beyond 64 bits)',
      ),
    );
  }

  private fail(error: FrameError): never {
    this.failure = error;
    throw error;
  }

  /**
   * Gives a huge frame a buffer of exactly its size at once: doubling up to it would copy it
   * again and again and hold the old copy beside the new (the pages of the new buffer only
   * take memory as the bytes arrive).
   */
  private reserve(frameBytes: number): void {
    const live = this.tail - this.head;
    const grown = new Uint8Array(frameBytes);
    grown.set(this.carry.subarray(this.head, this.tail));
    this.carry = grown;
    this.head = 0;
    this.tail = live;
  }

  private appendCarry(src: Uint8Array, from: number, to: number): void {
    const n = to - from;
    if (this.tail + n > this.carry.length) {
      const live = this.tail - this.head;
      if (live + n <= this.carry.length) {
        this.carry.copyWithin(0, this.head, this.tail);
      } else {
        const grown = new Uint8Array(Math.max(INITIAL_CAPACITY, 2 * this.carry.length, live + n));
        grown.set(this.carry.subarray(this.head, this.tail));
        this.carry = grown;
      }
      this.head = 0;
      this.tail = live;
    }
    if (n === 1) this.carry[this.tail] = src[from] as number;
    else this.carry.set(src.subarray(from, to), this.tail);
    this.tail += n;
  }
}
