/**
 * Lines the server will never accept, set aside as JSON lines so that nothing is silently
 * lost and a human can fix and replay them (`jq -r .line dead-letter.jsonl`).
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface DeadLetterEntry {
  /** When it was set aside (ISO 8601). */
  time: string;
  /** HTTP status of the refusal; 0 for lines that could not even be formatted. */
  status: number;
  reason: string;
  /** The line as it was queued (nanosecond timestamp). */
  line: string;
}

export class DeadLetterFile {
  constructor(readonly path: string) {}

  /** Appends and fsyncs: these lines have left the queue, this file is now their only copy. */
  append(entries: readonly DeadLetterEntry[]): void {
    if (entries.length === 0) return;
    mkdirSync(dirname(this.path), { recursive: true });
    const fd = openSync(this.path, 'a');
    try {
      writeSync(fd, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
