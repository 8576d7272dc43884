import type { Writable } from 'node:stream';
import { formatLine, type LinePoint } from '../../line-protocol/index.js';
import { WriterError } from './errors.js';
import type { PointWriter } from './point-writer.js';
import type { WriterStats } from './stats.js';

/** With no database configured: line protocol on stdout (or the given stream), timestamps as given. */
export class StdoutWriter implements PointWriter {
  private readonly counters = { accepted: 0, written: 0, invalid: 0 };
  private lastError: string | undefined;
  private closed = false;

  constructor(private readonly out: Writable = process.stdout) {}

  get stats(): WriterStats {
    return {
      ...this.counters,
      queued: 0,
      dropped: 0,
      deadLettered: 0,
      requests: 0,
      retries: 0,
      lastError: this.lastError,
    };
  }

  write(points: readonly LinePoint[]): void {
    if (this.closed) throw new WriterError('KUDF_WRITER_CLOSED', 'write() after close()');
    let text = '';
    for (const p of points) {
      this.counters.accepted++;
      try {
        text += `${formatLine(p)}\n`;
        this.counters.written++;
      } catch (err) {
        this.counters.invalid++;
        this.lastError = err instanceof Error ? err.message : String(err);
      }
    }
    if (text !== '') this.out.write(text);
  }

  flush(): Promise<void> {
    // An empty write's callback runs once everything before it has been handed to the OS.
    return new Promise((resolve) => this.out.write('', () => resolve()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
  }
}
