/**
 * The InfluxDB writer: every point goes through the durable queue, and one pump delivers
 * the queue head, in order, one batch at a time.
 *
 * ```
 * write(points) -> stamp time -> format -> queue.append (kernel, at once)
 *                                     |  flush timer / batch full / flush()
 *                                     v
 *        pump: peek batch -> transport.send -> ok: ack (fsync data, then position)
 *                                           -> retry/hold: keep, back off
 *                                           -> split (413): halves, in order
 *                                           -> reject (400/422): halves down to the bad line -> dead letter, ack
 * ```
 *
 * Why a replay after a crash is harmless: a crash between the server's 2xx and the
 * position update makes the batch be sent again on restart. InfluxDB identifies a point by
 * measurement, tag set and timestamp, and a second write of an identical point overwrites
 * the first with the same values, so the replay changes nothing (counts stay exact). That
 * only holds when every line has an explicit timestamp — a server-assigned time would
 * differ on replay — so `write()` stamps points that come without one (all points of one
 * call share the stamp, as they would on the server). The window itself is kept small:
 * the position is persisted right after each 2xx, before anything else happens.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { formatLine, type LinePoint } from '../../line-protocol/index.js';
import type { WriterTuning } from './influx-settings.js';
import { EQUAL_JITTER, RetryBackoff, type Clock } from '../timing/index.js';
import { DeadLetterFile, type DeadLetterEntry } from './dead-letter.js';
import { DurableQueue, type QueueBatch } from './durable-queue.js';
import { WriterError } from './errors.js';
import type { SendOutcome } from './outcome.js';
import { describeError } from './redact.js';
import type { WriterStats } from './stats.js';
import type { WriteTransport } from './transport.js';
import type { PointWriter } from './point-writer.js';

/** Bytes per request, whatever the batch size: below InfluxDB 1.x's 25 MB request limit. */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

export interface QueuedWriterOptions {
  transport: WriteTransport;
  tuning: WriterTuning;
  queueDir: string;
  logger: Logger;
  clock: Clock;
  random: () => number;
  scrub: (text: string) => string;
  /** Default `<queueDir>/dead-letter.jsonl`. */
  deadLetterPath?: string;
  /** Segment size of the queue (tests make it small). */
  segmentBytes?: number;
}

type PumpResult = 'drained' | 'stalled';

const DROP_REPORT_INTERVAL_MS = 60_000;
/** Rotated dead-letter files kept next to the current one. */
const DEAD_LETTER_FILES_KEPT = 3;

export class QueuedWriter implements PointWriter {
  private readonly queue: DurableQueue;
  private readonly deadLetter: DeadLetterFile;
  private readonly backoff: RetryBackoff;
  private readonly log: Logger;
  private flushTimer: unknown;
  private retryTimer: unknown;
  private pumping: Promise<PumpResult> | undefined;
  private prepared = false;
  private closing = false;
  private closed: Promise<void> | undefined;
  private readonly counters = { accepted: 0, written: 0, deadLettered: 0, invalid: 0, requests: 0, retries: 0 };
  private lastError: string | undefined;

  private lastDropReport: number | undefined;
  private dropsSinceReport = { lines: 0, bytes: 0 };

  constructor(private readonly o: QueuedWriterOptions) {
    this.log = o.logger.child({ component: 'influx-writer' });
    // The n-th retry in a row waits a random time in [d/2, d], d = min(retryMaxDelay, retryMinDelay * 2^(n-1)).
    this.backoff = new RetryBackoff(
      { baseMs: o.tuning.retryMinDelayMs, capMs: o.tuning.retryMaxDelayMs, jitter: EQUAL_JITTER },
      o.random,
    );
    this.deadLetter = new DeadLetterFile(o.deadLetterPath ?? join(o.queueDir, 'dead-letter.jsonl'), {
      maxBytes: o.tuning.deadLetterMaxBytes,
      keep: DEAD_LETTER_FILES_KEPT,
    });
    this.queue = DurableQueue.open(o.queueDir, {
      maxBytes: o.tuning.queueMaxBytes,
      ...(o.segmentBytes !== undefined ? { segmentBytes: o.segmentBytes } : {}),
      onDrop: (lines, bytes) => this.reportDrop(lines, bytes),
      onWarn: (message, details) => this.log.warn(details, message),
    });
    const pending = this.queue.pendingLines;
    this.log.info(
      { target: o.transport.description, queueDir: this.queue.dir, pending },
      pending > 0 ? 'writer started; replaying queued lines' : 'writer started',
    );
    if (pending > 0) this.kick();
  }

  /**
   * A full queue drops on every append while the outage lasts: say so once when it starts, then
   * at most once a minute with the totals, instead of once per append.
   */
  private reportDrop(lines: number, bytes: number): void {
    this.dropsSinceReport.lines += lines;
    this.dropsSinceReport.bytes += bytes;
    const now = this.o.clock.now();
    if (this.lastDropReport !== undefined && now - this.lastDropReport < DROP_REPORT_INTERVAL_MS) return;
    const first = this.lastDropReport === undefined;
    this.lastDropReport = now;
    const { lines: l, bytes: b } = this.dropsSinceReport;
    this.dropsSinceReport = { lines: 0, bytes: 0 };
    this.log.error(
      { lines: l, bytes: b, droppedTotal: this.queue.droppedLines, maxBytes: this.o.tuning.queueMaxBytes },
      first
        ? 'queue full: dropping the oldest lines'
        : 'queue still full: dropped the oldest lines since the last report',
    );
  }

  get stats(): WriterStats {
    return {
      ...this.counters,
      queued: this.queue.pendingLines,
      queuedBytes: this.queue.pendingBytes,
      dropped: this.queue.droppedLines,
      lastError: this.lastError,
    };
  }

  write(points: readonly LinePoint[]): void {
    if (this.closing) throw new WriterError('KUDF_WRITER_CLOSED', 'write() after close()');
    if (points.length === 0) return;
    this.counters.accepted += points.length;
    // One stamp per call: a replay must carry the same time, and the server would also give one batch one time.
    const stamp = BigInt(Math.trunc(this.o.clock.now())) * 1_000_000n;
    const lines: string[] = [];
    const invalid: DeadLetterEntry[] = [];
    for (const p of points) {
      try {
        lines.push(formatLine(p.time === undefined ? { ...p, time: stamp } : p));
      } catch (err) {
        invalid.push({
          time: new Date(this.o.clock.now()).toISOString(),
          status: 0,
          reason: describeError(err, this.o.scrub).message,
          line: safeJson(p),
        });
      }
    }
    if (invalid.length > 0) {
      this.counters.invalid += invalid.length;
      this.setAside(invalid, 'points that cannot be written as line protocol');
    }
    this.queue.append(lines);
    if (this.queue.pendingLines >= this.o.tuning.batchSize) this.kick();
    else this.armFlushTimer();
  }

  /** Makes everything durable, then delivers what the server takes now; resolves (without throwing) while the server is away. */
  async flush(): Promise<void> {
    if (this.closed !== undefined) return this.closed;
    this.queue.sync();
    this.clearFlushTimer();
    if (this.retryTimer !== undefined) return;
    while (this.queue.pendingLines > 0 && !this.closing) {
      const r = await (this.pumping ?? this.startPump());
      if (r === 'stalled') return;
    }
    if (this.pumping !== undefined) await this.pumping;
  }

  /** Waits for the request in flight, makes one last delivery attempt when the server is healthy, and persists the rest. */
  close(): Promise<void> {
    this.closed ??= this.doClose();
    return this.closed;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    this.clearFlushTimer();
    const wasBackingOff = this.retryTimer !== undefined;
    if (this.retryTimer !== undefined) {
      this.o.clock.clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    let last = this.pumping !== undefined ? await this.pumping : 'drained';
    if (!wasBackingOff && last !== 'stalled' && this.queue.pendingLines > 0) last = await this.startPump();
    this.queue.close();
    await this.o.transport.close();
    const left = this.queue.pendingLines;
    this.log.info(
      { ...this.stats, queued: left },
      left > 0 ? `writer closed; ${left} lines stay queued for the next start` : 'writer closed',
    );
  }

  private kick(): void {
    this.clearFlushTimer();
    if (this.pumping !== undefined || this.retryTimer !== undefined || this.closing) return;
    void this.startPump();
  }

  private armFlushTimer(): void {
    if (this.flushTimer !== undefined || this.pumping !== undefined || this.retryTimer !== undefined) return;
    this.flushTimer = this.o.clock.setTimeout(() => {
      this.flushTimer = undefined;
      this.kick();
    }, this.o.tuning.flushIntervalMs);
  }

  private clearFlushTimer(): void {
    if (this.flushTimer !== undefined) this.o.clock.clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
  }

  private startPump(): Promise<PumpResult> {
    const run = this.pump()
      .catch((err: unknown): PumpResult => {
        // Queue I/O trouble: nothing was acknowledged wrongly; log and try again later.
        this.lastError = describeError(err, this.o.scrub).message;
        this.log.error({ err: describeError(err, this.o.scrub) }, 'writer pump failed');
        this.scheduleRetry(this.backoff.next());
        return 'stalled';
      })
      .finally(() => {
        this.pumping = undefined;
        // Points written while the last batch was in flight wait for the flush timer like any others.
        if (!this.closing && this.retryTimer === undefined && this.queue.pendingLines > 0) this.armFlushTimer();
      });
    this.pumping = run;
    return run;
  }

  private async pump(): Promise<PumpResult> {
    if (!this.prepared && this.o.transport.prepare !== undefined) {
      const o = await this.o.transport.prepare();
      if (o.kind !== 'ok') return this.stall(o, this.queue.pendingLines);
      this.prepared = true;
      this.log.debug('database ready');
    }
    for (;;) {
      const batch = this.queue.peek(this.o.tuning.batchSize, MAX_REQUEST_BYTES);
      if (batch === undefined) return 'drained';
      const r = await this.deliver(batch);
      if (r === 'stalled') return r;
    }
  }

  /** Delivers one batch; sub-ranges (after a split) go in order, each acknowledged as soon as it is settled. */
  private async deliver(batch: QueueBatch): Promise<PumpResult> {
    const ranges: Array<[number, number]> = [[0, batch.lines.length]];
    while (ranges.length > 0) {
      const [a, b] = ranges.shift() as [number, number];
      const lines = batch.lines.slice(a, b);
      this.counters.requests++;
      const outcome = await this.o.transport.send(lines);
      switch (outcome.kind) {
        case 'ok':
          this.settle(batch, b);
          this.counters.written += b - a;
          if (this.backoff.failures > 0 || this.lastError !== undefined) {
            this.log.info(
              {
                target: this.o.transport.description,
                failedAttempts: this.backoff.failures,
                lastError: this.lastError,
              },
              'InfluxDB writes succeed again',
            );
          }
          this.backoff.reset();
          this.lastError = undefined;
          break;
        case 'split':
        case 'reject': {
          const allDropped = outcome.kind === 'reject' && outcome.dropped !== undefined && outcome.dropped >= b - a;
          if (b - a > 1 && !allDropped) {
            const mid = a + Math.ceil((b - a) / 2);
            ranges.unshift([a, mid], [mid, b]);
            break;
          }
          const at = new Date(this.o.clock.now()).toISOString();
          this.setAside(
            lines.map((line) => ({ time: at, status: outcome.status, reason: outcome.reason, line })),
            outcome.kind === 'split' ? 'line too large for the server' : 'server refused lines for good',
          );
          this.counters.deadLettered += b - a;
          this.settle(batch, b);
          break;
        }
        case 'retry':
        case 'hold':
          return this.stall(outcome, this.queue.pendingLines);
      }
    }
    return 'drained';
  }

  private settle(batch: QueueBatch, upTo: number): void {
    this.queue.ack(batch, upTo);
  }

  private stall(outcome: Exclude<SendOutcome, { kind: 'ok' }>, pending: number): PumpResult {
    // A fault is logged once, when it starts or its cause changes; its retries go to debug.
    const repeated = this.lastError === outcome.reason;
    this.lastError = outcome.reason;
    this.counters.retries++;
    let delay = this.backoff.next();
    if (outcome.kind === 'retry' && outcome.retryAfterMs !== undefined)
      delay = Math.min(outcome.retryAfterMs, this.o.tuning.retryAfterMaxMs);
    const info = {
      target: this.o.transport.description,
      reason: outcome.reason,
      queued: pending,
      retryInMs: delay,
      failures: this.backoff.failures,
    };
    if (outcome.kind === 'hold') {
      if (outcome.databaseMissing && this.o.transport.prepare !== undefined) this.prepared = false;
      const why =
        outcome.status === 401 || outcome.status === 403
          ? 'InfluxDB refuses the credentials'
          : outcome.databaseMissing
            ? 'InfluxDB database/bucket not found'
            : 'InfluxDB refuses the request';
      if (repeated) this.log.debug(info, `${why}; still retrying`);
      else this.log.error(info, `${why}; keeping the data and retrying`);
    } else if (repeated) {
      this.log.debug(info, 'InfluxDB write failed again; data stays queued');
    } else {
      this.log.warn(info, 'InfluxDB write failed; data stays queued');
    }
    if (!this.closing) this.scheduleRetry(delay);
    return 'stalled';
  }

  private scheduleRetry(delay: number): void {
    if (this.closing) return;
    if (this.retryTimer !== undefined) this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, delay);
  }

  private setAside(entries: DeadLetterEntry[], what: string): void {
    const { rotated, droppedFile } = this.deadLetter.append(entries);
    if (droppedFile !== undefined) {
      this.log.warn(
        { file: this.deadLetter.path, dropped: droppedFile, keep: DEAD_LETTER_FILES_KEPT },
        'dead-letter file full: rotated, and the oldest rotated file was overwritten',
      );
    } else if (rotated) {
      this.log.info(
        { file: this.deadLetter.path, maxBytes: this.o.tuning.deadLetterMaxBytes },
        'dead-letter file full: rotated',
      );
    }
    this.log.error(
      {
        lines: entries.length,
        reason: entries[0]?.reason,
        file: this.deadLetter.path,
        first: entries[0]?.line.slice(0, 200),
      },
      `${what}: set aside in the dead-letter file`,
    );
  }
}

function safeJson(p: LinePoint): string {
  return JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}i` : v));
}
