/** Counters of a {@link PointWriter}; a fresh snapshot on every read. */
export interface WriterStats {
  /** Points handed to `write()`. */
  accepted: number;
  /** Lines the server acknowledged (a line replayed after a crash may be counted again; the server overwrites it). */
  written: number;
  /** Lines waiting in the durable queue. */
  queued: number;
  /** Bytes of those lines (0 without a queue). */
  queuedBytes?: number;
  /** Lines dropped because the queue reached its bound (oldest first). */
  dropped: number;
  /** Lines set aside in the dead-letter file. */
  deadLettered: number;
  /** Points that could not be turned into line protocol (also dead-lettered). */
  invalid: number;
  /** Requests sent. */
  requests: number;
  /** Failed requests that will be retried. */
  retries: number;
  /** The last failure (scrubbed of secrets), if the last request failed. */
  lastError: string | undefined;
}
