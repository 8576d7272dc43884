/**
 * The UDF wire protocol, with no I/O: framing (uvarint length + protobuf body), the
 * Request/Response codec, and our TypeScript view of the messages.
 *
 * Reading: `FrameDecoder.push(chunk)` yields frame bodies; `decodeRequest(body)` turns one
 * into a {@link Request}. Writing: `FrameWriter.writeResponse(r)` per reply, then `take()`
 * for one socket write. Every int64 is a `bigint`; tag and field maps are records with no
 * inherited keys (see {@link emptyRecord}). Errors are `ProtocolError` / `FrameError` with a
 * stable `code`.
 */
export type * from './types.js';
export { FrameDecoder, DEFAULT_MAX_FRAME_BYTES, type FrameBody, type FrameDecoderOptions } from './frame-decoder.js';
export { FrameWriter, encodeFrame, type FrameWriterOptions } from './frame-writer.js';
export { decodeRequest, decodeRequestIn, decodeResponse, encodeRequest, encodeResponse } from './codec.js';
export { emptyRecord } from './records.js';
export { freezeRequest } from './frozen.js';
export type { PointHeader } from './wire-reader.js';
export { ProtocolError, FrameError, type ProtocolErrorCode, type FrameErrorCode } from './errors.js';
export {
  readUvarint,
  readUvarint64,
  encodeUvarint,
  uvarintSize,
  writeUvarint,
  MAX_VARINT_BYTES,
  type UvarintResult,
} from './varint.js';
export { udfProtoPath } from './schema.js';
