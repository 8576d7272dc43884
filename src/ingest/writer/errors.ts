/**
 * Errors raised by the InfluxDB writer and its durable queue. Callers branch on `code`.
 * Messages never carry secrets: they are built from redacted URLs and scrubbed server text.
 */

/** Stable codes of {@link WriterError}. */
export type WriterErrorCode =
  /** The queue directory or one of its files could not be read or written. */
  | 'KUDF_WRITER_QUEUE_IO'
  /** The queue directory holds a position file that cannot be understood. */
  | 'KUDF_WRITER_QUEUE_CORRUPT'
  /** The queue directory is already used by another live writer in this process. */
  | 'KUDF_WRITER_QUEUE_BUSY'
  /** A write request failed; `status` is set when the server answered. */
  | 'KUDF_WRITER_SEND_FAILED'
  /** `write()` after `close()`. */
  | 'KUDF_WRITER_CLOSED'
  /** `CREATE DATABASE` was refused. */
  | 'KUDF_WRITER_CREATE_DATABASE_FAILED';

export class WriterError extends Error {
  override readonly name = 'WriterError';
  readonly code: WriterErrorCode;
  /** HTTP status when the server answered; absent for network errors and timeouts. */
  readonly status: number | undefined;

  constructor(code: WriterErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    this.status = options?.status;
  }
}
