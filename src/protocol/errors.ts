/**
 * Errors raised by the pure protocol layer. Both are connection-fatal for whoever receives
 * them: the byte stream can no longer be trusted. Callers branch on `code`, never on the message.
 */

/** Stable codes of {@link ProtocolError}. */
export type ProtocolErrorCode =
  /** The body is not valid protobuf for the expected message (truncated, bad wire type, bad enum). */
  | 'KUDF_PROTO_INVALID'
  /** A Request/Response with no member set, including a zero-length body. */
  | 'KUDF_PROTO_EMPTY'
  /** A Request/Response whose only member is a field number this schema does not know. */
  | 'KUDF_PROTO_UNKNOWN_MEMBER'
  /** A value that cannot be put on the wire (e.g. an int64 outside the int64 range). */
  | 'KUDF_PROTO_UNENCODABLE'
  /** `proto/udf.proto` could not be found or parsed. */
  | 'KUDF_PROTO_SCHEMA';

export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Stable codes of {@link FrameError}. */
export type FrameErrorCode =
  /** The declared frame length exceeds the decoder's `maxFrameBytes`. */
  | 'KUDF_FRAME_TOO_LARGE'
  /** The length prefix is not a valid uvarint (more than 10 bytes, or beyond 64 bits). */
  | 'KUDF_FRAME_BAD_LENGTH';

export class FrameError extends Error {
  override readonly name = 'FrameError';
  readonly code: FrameErrorCode;

  constructor(code: FrameErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
