/**
 * Lines the server will never accept, set aside as JSON lines so that nothing is silently
 * lost and a human can fix and replay them (`jq -r .line dead-letter.jsonl`).
 *
 * The file is bounded like the queue: past `maxBytes` it is renamed `<path>.1` (an older `.1`
 * becoming `.2`, and so on up to `keep`) and a new file starts, so a server that refuses
 * everything for weeks fills at most (keep + 1) × maxBytes of disk.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
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

export interface DeadLetterLimits {
  /** Size past which the file is rotated. */
  maxBytes: number;
  /** Rotated files kept, at least 1 (`<path>.1` is the newest); the oldest beyond them is overwritten. */
  keep: number;
}

export const DEFAULT_DEAD_LETTER_LIMITS: Readonly<DeadLetterLimits> = { maxBytes: 64 * 1024 * 1024, keep: 3 };

/** What an append did besides appending. */
export interface DeadLetterAppend {
  /** The file was full and was rotated before these entries went in. */
  rotated: boolean;
  /** Rotation deleted the oldest kept file (its lines are gone). */
  droppedFile: string | undefined;
}

export class DeadLetterFile {
  constructor(
    readonly path: string,
    private readonly limits: Readonly<DeadLetterLimits> = DEFAULT_DEAD_LETTER_LIMITS,
  ) {}

  /** Appends and fsyncs: these lines have left the queue, this file is now their only copy. */
  append(entries: readonly DeadLetterEntry[]): DeadLetterAppend {
    const result: DeadLetterAppend = { rotated: false, droppedFile: undefined };
    if (entries.length === 0) return result;
    const text = entries.map((e) => `${JSON.stringify(e)}\n`).join('');
    mkdirSync(dirname(this.path), { recursive: true });
    const size = statSync(this.path, { throwIfNoEntry: false })?.size ?? 0;
    if (size > 0 && size + Buffer.byteLength(text) > this.limits.maxBytes) {
      result.rotated = true;
      result.droppedFile = this.rotate();
    }
    const fd = openSync(this.path, 'a');
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return result;
  }

  /** Shifts `<path>` to `.1`, `.1` to `.2`...; returns the file that fell off the end (overwritten), if any. */
  private rotate(): string | undefined {
    const keep = Math.max(1, this.limits.keep);
    const oldest = `${this.path}.${keep}`;
    const dropped = existsSync(oldest) ? oldest : undefined;
    for (let i = keep - 1; i >= 1; i--) {
      const from = `${this.path}.${i}`;
      if (existsSync(from)) renameSync(from, `${this.path}.${i + 1}`);
    }
    renameSync(this.path, `${this.path}.1`);
    return dropped;
  }
}
