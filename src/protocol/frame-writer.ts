import { writeRequestBody, writeResponseBody } from './codec.js';
import type { Request, Response } from './types.js';
import { uvarintSize, writeUvarint } from './varint.js';
import { WireWriter } from './wire-writer.js';

// Most frames are points of 128..16383 bytes: a two-byte prefix rarely needs moving.
const PREFIX_SLOT = 2;

export interface FrameWriterOptions {
  /** Initial capacity of the output buffer in bytes; it grows as needed. Default 64 KiB. */
  initialCapacity?: number;
}

/**
 * Accumulates length-prefixed frames in one growing buffer so that a transport can write
 * many frames with one syscall. Messages are encoded in place, with no per-frame buffer.
 *
 * Typical use: `writeResponse(...)` for every reply of a chunk, then `socket.write(take())`.
 */
export class FrameWriter {
  private readonly w: WireWriter;

  constructor({ initialCapacity = 64 * 1024 }: FrameWriterOptions = {}) {
    this.w = new WireWriter(initialCapacity);
  }

  /** Bytes written since the last {@link take}. */
  get length(): number {
    return this.w.pos;
  }

  /**
   * Appends one framed Response. On a throw (`ProtocolError` `PROTO_UNENCODABLE`,
   * `TypeError` for a field value of an unsupported type) nothing is appended.
   */
  writeResponse(r: Response): void {
    const mark = this.w.beginLength(PREFIX_SLOT);
    try {
      writeResponseBody(this.w, r);
    } catch (e) {
      this.w.pos = mark;
      throw e;
    }
    this.w.endLength(mark, PREFIX_SLOT);
  }

  /** Appends one framed Request (the Kapacitor side: clients, probes, tests). */
  writeRequest(r: Request): void {
    const mark = this.w.beginLength(PREFIX_SLOT);
    try {
      writeRequestBody(this.w, r);
    } catch (e) {
      this.w.pos = mark;
      throw e;
    }
    this.w.endLength(mark, PREFIX_SLOT);
  }

  /** Appends an already encoded body with its length prefix. */
  writeFrame(body: Uint8Array): void {
    this.w.uvarint(body.length);
    this.w.raw(body);
  }

  /**
   * Hands out everything written since the last call as a Buffer the caller owns (safe to
   * pass to an asynchronous write), and starts over. Empty when nothing was written.
   */
  take(): Buffer {
    const out = this.w.copy() as Buffer;
    this.w.pos = 0;
    return out;
  }
}

/** One frame: the uvarint length of `body` followed by `body`, in a fresh buffer. */
export function encodeFrame(body: Uint8Array): Uint8Array {
  const prefix = uvarintSize(body.length);
  const out = new Uint8Array(prefix + body.length);
  writeUvarint(body.length, out, 0);
  out.set(body, prefix);
  return out;
}
