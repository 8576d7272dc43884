import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { encodeFrame, encodeResponse } from '../protocol/index.js';
import { endAfterError } from './end-after-error.js';
import type { ReadHoldClock } from './hold-clock.js';
import { KeepaliveScanner } from './keepalive-scanner.js';
import type { Checkpoint } from './messages.js';
import { ReplayRing } from './replay-ring.js';
import { holdReads, releaseReads } from './read-gate.js';
import type { SessionPlace } from './worker-pool.js';

export interface ConnectionLimits {
  /**
   * Bytes read but not yet processed by the session, and bytes of replies not yet taken by the
   * peer, each kept under this bound: past it the connection stops reading, so a peer that
   * sends without reading cannot grow the host's memory.
   */
  highWaterMark: number;
  maxFrameBytes: number;
  /**
   * Answer keepalives on the main thread as soon as they are read, instead of behind every
   * point queued for the session's worker. Used when sessions run on worker threads.
   */
  fastKeepalives: boolean;
  /** Shared by every connection of the host: bytes of large frames received only in part. None when absent. */
  partialFrames?: PartialFrameBudget;
  /** A frame received only in part that gets no further byte for this long (while read) ends the connection; never when absent or 0. */
  frameTimeoutMs?: number;
  /**
   * A read smaller than this holds further reads until the session has taken every byte handed
   * to it (0 or absent: never hold). Kapacitor writes each frame with two syscalls, so without
   * this every frame, or half of one, costs a read, a hand-off to the worker and a reply write;
   * held, the kernel gathers what arrives meanwhile and the next read takes all of it. Adaptive
   * by construction: the hold lasts as long as the worker needs for what it has, and large reads
   * (a fast or chunked writer) are never held.
   */
  coalesceReadsBelow?: number;
  /**
   * When set, a held read waits for the end of this clock's current hold (a few hundred
   * microseconds) instead of the session's answer: a worker answers in tens of microseconds, too
   * soon for more than a few of Kapacitor's frames to gather in the kernel, and every hold costs
   * a read, a hand-off, a wake-up of the worker and a reply write whatever it carries.
   */
  holdClock?: ReadHoldClock;
  /**
   * Bytes of input kept to replay on another worker, should the session's worker be replaced
   * for blocking in a call of another session (see {@link Connection.suspend}); 0 or absent: none.
   */
  replayBytes?: number;
}

const START: Checkpoint = {
  inputPos: 0,
  outputFrames: 0,
  init: null,
  snapshot: null,
  counts: { requests: 0, pointsIn: 0, pointsOut: 0, batchesIn: 0, batchesOut: 0 },
};

/**
 * Frames over `floorBytes` count, while they are incomplete, against one host-wide budget (each
 * byte received {@link PARTIAL_BYTE_COPIES} times, what it costs in transit):
 * each pins its bytes in a worker's decoder outside the per-connection back-pressure, so without
 * it a few peers sending all but the last byte of maximal frames hold gigabytes. Smaller frames,
 * which every real peer sends, never count and are never refused.
 */
export interface PartialFrameBudget {
  used: number;
  readonly maxBytes: number;
  readonly floorBytes: number;
}

/**
 * What one byte of an incomplete large frame costs the host while it waits for the rest: the
 * read chunk handed to the worker (transferred, not copied, but freed only when the worker's
 * collector finds it dead, which V8 delays until tens of MiB of such memory have piled up), the
 * worker's frame buffer it is copied into, and what the main thread's own collector has not yet
 * taken of the reads. Measured under a flood of maximal frames: RSS grew about 2.9 times the bytes
 * counted once. Counting each byte this many times keeps the budget a bound on memory.
 */
export const PARTIAL_BYTE_COPIES = 3;

const NO_BUDGET: PartialFrameBudget = {
  used: 0,
  maxBytes: Number.POSITIVE_INFINITY,
  floorBytes: Number.POSITIVE_INFINITY,
};

/**
 * The main-thread half of one Kapacitor connection: moves bytes between the socket and the
 * place running its session, with back-pressure in both directions.
 *
 *   Kapacitor ──socket──▶ Connection ──'data' (transferred)──▶ SessionRunner (worker)
 *   Kapacitor ◀─socket─── Connection ◀──'out' (frames, transferred)── Session
 */
export class Connection {
  private inflight = 0;
  private paused = false;
  private finished = false;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly scanner: KeepaliveScanner;
  private readonly answerKeepalives: boolean;
  // What this connection's incomplete large frame counts in limits.partialFrames (bytes × PARTIAL_BYTE_COPIES).
  private heldPartial = 0;
  private frameTimer: NodeJS.Timeout | undefined;
  /** Reads are held until the session has taken what it was given (see coalesceReadsBelow). */
  private coalescing = false;
  /** Set while a held read waits for the end of the hold clock's hold. */
  private clockHeld = false;
  /** Set from the end of a clock hold to the next read: that read shows what the hold gathered. */
  private harvesting = false;
  private readonly endClockHold = (): void => {
    this.clockHeld = false;
    this.endHold();
  };
  // Set while shutdown waits for the session to finish what was read.
  private onIdle: (() => void) | undefined;
  /** When the last keepalive was read (ms since the epoch), for /status. */
  lastKeepaliveAt: number | undefined;
  /** Told how long each keepalive answered here took, read to written. */
  onKeepalive: ((seconds: number) => void) | undefined;
  /** The input since the last checkpoint, to replay elsewhere; none without a replay budget. */
  private readonly replay: ReplayRing | undefined;
  private checkpoint: Checkpoint = START;
  /** Response frames written to the peer from every place the session ran on. */
  private framesOut = 0;
  /** Set while the session moves: input is only kept (and keepalives answered) meanwhile. */
  private moving = false;
  private peerEnded = false;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    readonly udf: string,
    public place: SessionPlace,
    private readonly log: Logger,
    private readonly limits: ConnectionLimits,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.scanner = new KeepaliveScanner(limits.maxFrameBytes);
    this.answerKeepalives = limits.fastKeepalives;
    this.replay = (limits.replayBytes ?? 0) > 0 ? new ReplayRing(limits.replayBytes ?? 0) : undefined;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => {
      this.peerEnded = true;
      if (!this.finished && !this.moving) this.place.send({ type: 'end', id });
    });
    // Reading resumes once the replies queued in the socket fall under half the bound. 'drain'
    // alone does not say when: it comes only after a write the stream found over its own
    // high-water mark (16 KiB up to Node 20, 64 KiB from Node 22), so a reply between half our
    // bound and that mark would leave the connection paused for good. Every write's callback
    // checks again (the stream has already counted the written bytes off by then).
    socket.on('drain', () => this.updateFlow());
    socket.on('error', (err) => this.log.debug({ err: err.message }, 'socket error'));
    socket.on('close', () => {
      this.releasePartial();
      if (!this.finished) {
        this.finished = true;
        if (!this.moving) this.place.send({ type: 'abort', id, reason: 'connection closed by peer' });
      }
      this.resolveDone();
    });
    place.send({ type: 'open', id, udf, keepalivesAnswered: this.answerKeepalives });
  }

  /** Bytes read but not yet processed, plus replies not yet taken by the peer. */
  get bytesInFlight(): number {
    return this.inflight + this.socket.writableLength;
  }

  /** Resolves once the socket is closed. */
  get closed(): Promise<void> {
    return this.done;
  }

  /**
   * Stops handing input to the session's place, which is lost, and keeps it instead, to be
   * replayed on another (see {@link moveTo}). Returns why the session cannot move, or undefined
   * when it can: its input since the last checkpoint must still be in the replay ring.
   */
  suspend(): string | undefined {
    if (this.finished) return 'the connection is closing';
    const why = this.replayGap();
    if (why !== undefined) return why;
    this.moving = true;
    return undefined;
  }

  private replayGap(): string | undefined {
    if (this.replay === undefined) return 'no input is kept to replay (--replay-bytes 0)';
    if (this.replay.start > this.checkpoint.inputPos)
      return `its input since its last checkpoint is over the ${this.replay.capacity} bytes kept to replay (--replay-bytes)`;
    return undefined;
  }

  /**
   * Takes the session up on `place`: from the last checkpoint, with the input since then, and
   * without the responses already written to the peer. Returns why not, when it cannot (the
   * connection closed, or the input read meanwhile overflowed the replay ring).
   */
  moveTo(place: SessionPlace): { replayed: number; skipped: number } | string {
    this.moving = false;
    if (this.finished) return 'the connection closed while its session moved';
    const why = this.replayGap();
    const bytes = this.replay?.from(this.checkpoint.inputPos);
    if (why !== undefined || bytes === undefined) return why ?? 'its input since its last checkpoint is gone';
    this.place = place;
    const skipped = this.framesOut - this.checkpoint.outputFrames;
    place.send({
      type: 'open',
      id: this.id,
      udf: this.udf,
      keepalivesAnswered: this.answerKeepalives,
      resume: { checkpoint: this.checkpoint, skipFrames: skipped },
    });
    this.inflight = bytes.byteLength;
    if (bytes.byteLength > 0) place.send({ type: 'data', id: this.id, bytes });
    if (this.peerEnded) place.send({ type: 'end', id: this.id });
    this.updateFlow();
    return { replayed: bytes.byteLength, skipped };
  }

  /**
   * Replies from the session; `consumed` input bytes are no longer held by it, `frames` response
   * frames are in `bytes`, and `checkpoint`, when set, is where it could be taken up again.
   */
  onOut(bytes: Uint8Array | null, consumed: number, frames = 0, checkpoint?: Checkpoint): void {
    this.framesOut += frames;
    if (checkpoint !== undefined) {
      this.checkpoint = checkpoint;
      this.replay?.dropBefore(checkpoint.inputPos);
    }
    this.inflight -= consumed;
    if (this.inflight <= 0) this.onIdle?.();
    this.endHold();
    if (bytes !== null && !this.socket.destroyed) {
      const { buffer } = bytes;
      this.socket.write(bytes, (err) => {
        if (err === undefined || err === null) this.place.written(buffer as ArrayBuffer);
        this.updateFlow();
      });
    }
    this.updateFlow();
  }

  /** The session ended: close once every reply written so far has reached the socket. */
  onSessionClosed(reason: 'eof' | 'error'): void {
    this.finished = true;
    if (reason === 'error') {
      endAfterError(this.socket);
    } else {
      this.stopReading();
      this.socket.end();
    }
  }

  /** The place running the session died: tell the peer why and close. */
  onSessionLost(reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.stopReading();
    const message = `${this.udf}: session lost: ${reason}`;
    this.log.error({ reason }, 'session lost');
    this.socket.write(encodeFrame(encodeResponse({ kind: 'error', error: message })));
    endAfterError(this.socket);
  }

  /**
   * Ends the connection at shutdown once the grace period is over: stops reading, lets the
   * session answer everything already read (and the socket take those replies), then ends with
   * an ErrorResponse saying why, so the task's error names the cause. Resolves once the socket
   * is closed, after `flushMs` at the latest: a stuck worker or a peer that never reads cannot
   * hold the host up.
   */
  async closeForShutdown(flushMs: number): Promise<void> {
    if (this.socket.destroyed) return;
    const timer = setTimeout(() => this.socket.destroy(), flushMs);
    timer.unref();
    if (!this.finished) {
      this.finished = true;
      this.stopReading();
      const idle = new Promise<void>((resolve) => (this.onIdle = resolve));
      if (this.inflight <= 0) this.onIdle?.();
      await Promise.race([idle, this.done]);
      this.onIdle = undefined;
      if (!this.socket.destroyed) {
        this.log.warn({}, 'closing connection at shutdown');
        this.place.send({ type: 'abort', id: this.id, reason: 'host shutting down' });
        this.socket.end(encodeFrame(encodeResponse({ kind: 'error', error: `${this.udf}: host shutting down` })));
      }
    }
    await this.done;
    clearTimeout(timer);
  }

  private onData(chunk: Buffer): void {
    if (this.finished) return;
    // Transfer needs a buffer of our own; a chunk sharing a larger allocation is copied once.
    const bytes =
      chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength
        ? new Uint8Array(chunk.buffer, 0, chunk.byteLength)
        : new Uint8Array(chunk);
    const framesBefore = this.scanner.framesSeen;
    const keepalives = this.scanner.push(bytes);
    if (this.harvesting) {
      this.harvesting = false;
      this.limits.holdClock?.harvested(this.scanner.framesSeen - framesBefore);
    }
    if (this.answerKeepalives) {
      for (const time of keepalives) this.answerKeepalive(time);
    }
    if (!this.accountPartial()) return;
    // Set before the hand-off: a session on this thread answers within send().
    if (bytes.byteLength < (this.limits.coalesceReadsBelow ?? 0) && !this.coalescing) {
      this.coalescing = true;
      holdReads(this.socket);
      const clock = this.limits.holdClock;
      if (clock !== undefined) {
        this.clockHeld = true;
        clock.after(this.endClockHold);
      }
      // Time spent not reading is ours, not the peer's: it does not count as a stalled frame.
      this.stopFrameTimer();
    }
    this.inflight += bytes.byteLength;
    // Kept before the hand-off, which detaches the bytes.
    this.replay?.push(bytes);
    if (!this.moving) this.place.send({ type: 'data', id: this.id, bytes });
    this.updateFlow();
  }

  /**
   * Reads again after a held read: on the hold clock, once its hold is over (the in-flight bound
   * still applies: waiting for the session as well would leave a busy worker idle while the
   * next read comes in); without it, once the session has taken everything.
   */
  private endHold(): void {
    if (!this.coalescing || this.clockHeld) return;
    if (this.limits.holdClock === undefined && this.inflight > 0) return;
    this.coalescing = false;
    this.harvesting = this.limits.holdClock?.adapts === true;
    if (!this.paused && !this.finished) {
      releaseReads(this.socket);
      if (this.scanner.partialFrame !== undefined) this.startFrameTimer();
    }
  }

  /** Stops reading while either direction is over the bound; reads again once both are well under it. */
  private updateFlow(): void {
    if (this.finished) return;
    const limit = this.limits.highWaterMark;
    if (!this.paused && (this.inflight > limit || this.socket.writableLength > limit)) {
      this.paused = true;
      holdReads(this.socket);
      // Time spent not reading is ours, not the peer's: it does not count as a stalled frame.
      this.stopFrameTimer();
    } else if (this.paused && this.inflight <= limit / 2 && this.socket.writableLength <= limit / 2) {
      this.paused = false;
      if (!this.coalescing) {
        releaseReads(this.socket);
        if (this.scanner.partialFrame !== undefined) this.startFrameTimer();
      }
    }
  }

  private readonly afterWrite = (): void => this.updateFlow();

  /**
   * Counts this connection's incomplete large frame against the host-wide budget and (re)arms
   * the no-progress timer; ends the connection and returns false when the budget is used up.
   */
  private accountPartial(): boolean {
    const partial = this.scanner.partialFrame;
    const budget = this.limits.partialFrames ?? NO_BUDGET;
    const held =
      partial !== undefined && partial.declared > budget.floorBytes ? partial.received * PARTIAL_BYTE_COPIES : 0;
    const grew = held > this.heldPartial;
    budget.used += held - this.heldPartial;
    this.heldPartial = held;
    if (grew && budget.used > budget.maxBytes) {
      this.failFromHost(
        `frame of ${partial?.declared ?? 0} bytes refused: the host-wide budget for partially received frames (${budget.maxBytes} bytes, --max-partial-bytes) is used up`,
        'KUDF_HOST_PARTIAL_BUDGET',
      );
      return false;
    }
    if (partial === undefined) this.stopFrameTimer();
    else this.startFrameTimer();
    return true;
  }

  private releasePartial(): void {
    if (this.limits.partialFrames !== undefined) this.limits.partialFrames.used -= this.heldPartial;
    this.heldPartial = 0;
    this.stopFrameTimer();
  }

  private startFrameTimer(): void {
    this.stopFrameTimer();
    const timeoutMs = this.limits.frameTimeoutMs ?? 0;
    if (timeoutMs <= 0) return;
    this.frameTimer = setTimeout(() => {
      const partial = this.scanner.partialFrame;
      if (partial === undefined || this.finished) return;
      this.failFromHost(
        `frame stalled: ${partial.received} of ${partial.declared} bytes received, none for ${timeoutMs} ms (--frame-timeout)`,
        'KUDF_HOST_FRAME_TIMEOUT',
      );
    }, timeoutMs);
    this.frameTimer.unref();
  }

  private stopFrameTimer(): void {
    if (this.frameTimer !== undefined) clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
  }

  /** Ends the connection for a limit the main thread enforces: ErrorResponse, session dropped. */
  private failFromHost(message: string, code: string): void {
    if (this.finished) return;
    this.finished = true;
    this.stopReading();
    this.releasePartial();
    this.log.warn({ code }, message);
    this.place.send({ type: 'abort', id: this.id, reason: message });
    this.socket.write(encodeFrame(encodeResponse({ kind: 'error', error: `${this.udf}: ${message}` })));
    endAfterError(this.socket);
  }

  private answerKeepalive(time: bigint): void {
    this.lastKeepaliveAt = Date.now();
    const observe = this.onKeepalive;
    if (observe === undefined) {
      this.socket.write(encodeFrame(encodeResponse({ kind: 'keepalive', time })), this.afterWrite);
      return;
    }
    const t0 = performance.now();
    this.socket.write(encodeFrame(encodeResponse({ kind: 'keepalive', time })), () => {
      observe((performance.now() - t0) / 1000);
      this.updateFlow();
    });
  }

  private stopReading(): void {
    holdReads(this.socket);
    this.socket.removeAllListeners('data');
  }
}
