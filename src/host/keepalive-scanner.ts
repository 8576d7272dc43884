import { decodeRequest } from '../protocol/index.js';

// A KeepaliveRequest is Request field 3, length-delimited: its body starts with tag byte 0x1a.
const KEEPALIVE_TAG = 0x1a;
// Request{keepalive{time}} is at most 1 + 1 + 1 + 10 bytes; anything longer is not one.
const MAX_KEEPALIVE_BODY = 16;

/**
 * Finds KeepaliveRequests in a connection's raw byte stream on the main thread, without
 * decoding anything else: it only follows the length prefixes. This lets the main thread answer
 * a keepalive at once instead of after everything queued ahead of it on the session's worker.
 *
 * It stops (and finds nothing more) at a length prefix it cannot read or over `maxFrameBytes`:
 * the worker's FrameDecoder reports that error to the peer.
 */
export class KeepaliveScanner {
  private lengthValue = 0;
  private lengthShift = 0;
  private lengthBytes = 0;
  /** Bytes of the current frame body still to come; -1 while reading a length prefix. */
  private remaining = -1;
  private small: number[] | undefined;
  private dead = false;
  /** Declared body length of the frame being received (valid while `remaining` >= 0). */
  private declared = 0;
  private frames = 0;

  constructor(private readonly maxFrameBytes: number) {}

  /** Frames completed so far (the hold clock learns from how many a read brings). */
  get framesSeen(): number {
    return this.frames;
  }

  /**
   * The frame received only in part so far: its declared body length and the body bytes already
   * in; undefined between frames (or in a length prefix, at most 10 bytes).
   */
  get partialFrame(): { declared: number; received: number } | undefined {
    if (this.dead || this.remaining <= 0) return undefined;
    return { declared: this.declared, received: this.declared - this.remaining };
  }

  /** Scans a chunk and returns the times of the keepalives completed in it, in order. */
  push(chunk: Uint8Array): bigint[] {
    const found: bigint[] = [];
    let i = 0;
    const n = chunk.length;
    while (i < n && !this.dead) {
      if (this.remaining < 0) {
        const byte = chunk[i++] as number;
        this.lengthValue += (byte & 0x7f) * 2 ** this.lengthShift;
        this.lengthShift += 7;
        if (++this.lengthBytes > 10) {
          this.dead = true;
          break;
        }
        if (byte & 0x80) continue;
        if (this.lengthValue > this.maxFrameBytes) {
          this.dead = true;
          break;
        }
        this.remaining = this.lengthValue;
        this.declared = this.lengthValue;
        this.small = this.remaining <= MAX_KEEPALIVE_BODY ? [] : undefined;
        this.lengthValue = 0;
        this.lengthShift = 0;
        this.lengthBytes = 0;
        if (this.remaining === 0) {
          this.remaining = -1;
          this.frames++;
        }
        continue;
      }
      const take = Math.min(this.remaining, n - i);
      if (this.small !== undefined) for (let k = 0; k < take; k++) this.small.push(chunk[i + k] as number);
      i += take;
      this.remaining -= take;
      if (this.remaining === 0) {
        const body = this.small;
        this.remaining = -1;
        this.frames++;
        this.small = undefined;
        if (body !== undefined && body[0] === KEEPALIVE_TAG) {
          const time = keepaliveTime(Uint8Array.from(body));
          if (time !== undefined) found.push(time);
        }
      }
    }
    return found;
  }
}

function keepaliveTime(body: Uint8Array): bigint | undefined {
  try {
    const request = decodeRequest(body);
    return request.kind === 'keepalive' ? request.time : undefined;
  } catch {
    // Not a valid keepalive: the worker will see the same bytes and answer with an error.
    return undefined;
  }
}
