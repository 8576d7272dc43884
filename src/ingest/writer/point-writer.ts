import type { LinePoint } from '../../line-protocol/index.js';
import type { WriterStats } from './stats.js';

/**
 * Where ingested points go. The poller calls `write()` after each poll and `close()` on
 * shutdown.
 */
export interface PointWriter {
  /**
   * Accepts points. For the InfluxDB writers they are on their way to disk when this
   * returns (a killed process does not lose them); points without `time` are stamped with
   * the current time. Throws `WriterError` `KUDF_WRITER_CLOSED` after `close()`.
   */
  write(points: readonly LinePoint[]): void;
  /** Makes accepted points durable and delivers what the server takes now. Never rejects because the server is away. */
  flush(): Promise<void>;
  /** Waits for the request in flight, persists the rest, releases the queue. Idempotent. */
  close(): Promise<void>;
  readonly stats: WriterStats;
}
