/**
 * The load generator's writer in Kapacitor's write mode: one thread that writes for every
 * connection of the generator, while the main thread only reads.
 *
 * A Kapacitor UDF node writes every frame unbuffered, straight to the socket: the length prefix
 * in one write(2), the body in a second one, from a goroutine of its own beside the reader; a
 * keepalive reaches that writer through an unbuffered channel, so it goes out between two
 * frames. This thread does the same with `fs.writeSync` on each connection's descriptor (one
 * call, one syscall). Its connections take turns a frame at a time, as goroutines share the
 * runtime's threads: one OS thread per connection would make the scheduler, not the host, the
 * limit with 16 connections on 2 cores. The sockets are non-blocking (libuv owns them): a full
 * send buffer (EAGAIN) parks that connection for a short while, doubling from 20 us up to 1 ms,
 * which is how a blocked Go write looks from the host's side. A full buffer holds milliseconds
 * of frames, so waking late costs the host nothing, while polling every few microseconds would
 * take the CPU of the very host being measured.
 */
import { writeSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { readUvarint } from '../src/protocol/index.js';
import { keepaliveFrame } from './workloads.js';

/** Indexes into each connection's shared Int32Array. */
export const CTRL = {
  /** 0 run; 1 stop at the next chunk boundary; 2 stop now (the run failed). */
  stop: 0,
  /** 1 while a keepalive waits in the slot for the writer. */
  keepalivePending: 1,
  /** Points the main thread has seen come back (for a window of points in flight). */
  returned: 2,
  /** 0 until the run starts: connections are registered before the clock runs. */
  go: 3,
  length: 4,
} as const;

/** The writer's wake-up slot (index 0 of its shared Int32Array): bumped and notified by the main thread. */
export const WAKE_SLOTS = 1;

export interface FrameWriterConnection {
  id: number;
  fd: number;
  chunk: Uint8Array;
  /** Int32Array over CTRL.length slots. */
  control: SharedArrayBuffer;
  /** BigInt64Array of one slot: the time of the pending keepalive. */
  keepaliveTime: SharedArrayBuffer;
  /** Points to write (whole chunks; 0: only keepalives until told to stop). */
  maxPoints: number;
  window?: number;
  pointsPerSec?: number;
}

export interface FrameWriterSetup {
  /** Int32Array over WAKE_SLOTS slots. */
  wake: SharedArrayBuffer;
}

export type FrameWriterMessage =
  | { type: 'ready'; id: number }
  /** `writeCalls`: write(2) calls that wrote something; `largestWrite`: the most bytes one of them wrote. */
  | {
      type: 'done';
      id: number;
      error?: string;
      sentPoints: number;
      sentBytes: number;
      keepalivesWritten: number;
      writeCalls: number;
      largestWrite: number;
    };

/** A frame of the chunk: where its length prefix starts, where its body starts and ends. */
interface FrameSpan {
  start: number;
  bodyStart: number;
  end: number;
}

export function frameSpans(chunk: Uint8Array): FrameSpan[] {
  const spans: FrameSpan[] = [];
  let pos = 0;
  while (pos < chunk.length) {
    const prefix = readUvarint(chunk, pos);
    if (prefix.status !== 'ok') throw new Error(`the chunk is not whole frames: bad length prefix at ${pos}`);
    spans.push({ start: pos, bodyStart: pos + prefix.bytes, end: pos + prefix.bytes + prefix.value });
    pos += prefix.bytes + prefix.value;
  }
  return spans;
}

const MIN_SLEEP_MS = 0.02;
const MAX_SLEEP_MS = 1;
const IDLE_SLEEP_MS = 1;

type Step = 'progress' | 'idle' | 'blocked' | 'finished';

/** One connection's writer: the frames it writes in turn, two write(2) calls each. */
class ConnectionWriter {
  private readonly ctrl: Int32Array;
  private readonly kaTime: BigInt64Array;
  private readonly spans: FrameSpan[];
  /** The pieces (buffer, start, end) of the frame being written. */
  private readonly pieces: Array<[Uint8Array, number, number]> = [];
  private next = 0;
  private sentPoints = 0;
  private sentBytes = 0;
  private keepalivesWritten = 0;
  private writeCalls = 0;
  private largestWrite = 0;
  private started = -1;
  private sleepMs = MIN_SLEEP_MS;
  /** performance.now() before which a blocked connection is not tried again. */
  retryAt = 0;

  constructor(private readonly setup: FrameWriterConnection) {
    this.ctrl = new Int32Array(setup.control);
    this.kaTime = new BigInt64Array(setup.keepaliveTime);
    this.spans = frameSpans(setup.chunk);
  }

  get id(): number {
    return this.setup.id;
  }

  report(error?: string): FrameWriterMessage {
    return {
      type: 'done',
      id: this.setup.id,
      ...(error !== undefined ? { error } : {}),
      sentPoints: this.sentPoints,
      sentBytes: this.sentBytes,
      keepalivesWritten: this.keepalivesWritten,
      writeCalls: this.writeCalls,
      largestWrite: this.largestWrite,
    };
  }

  /** Writes the rest of the current frame, or starts the next one; says what happened. */
  step(now: number): Step {
    const { ctrl } = this;
    if (Atomics.load(ctrl, CTRL.go) === 0) return 'idle';
    if (this.started < 0) this.started = now;
    if (Atomics.load(ctrl, CTRL.stop) === 2) return 'finished';
    const head = this.pieces[0];
    if (head !== undefined) {
      let n: number;
      try {
        n = writeSync(this.setup.fd, head[0], head[1], head[2] - head[1]);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        this.retryAt = now + this.sleepMs;
        this.sleepMs = Math.min(MAX_SLEEP_MS, this.sleepMs * 2);
        return 'blocked';
      }
      this.sleepMs = MIN_SLEEP_MS;
      this.sentBytes += n;
      this.writeCalls++;
      if (n > this.largestWrite) this.largestWrite = n;
      head[1] += n;
      if (head[1] === head[2]) this.pieces.shift();
      return 'progress';
    }
    if (Atomics.load(ctrl, CTRL.keepalivePending) === 1) {
      const frame = keepaliveFrame(this.kaTime[0] as bigint);
      Atomics.store(ctrl, CTRL.keepalivePending, 0);
      const prefix = readUvarint(frame, 0);
      if (prefix.status !== 'ok') throw new Error('bad keepalive frame');
      this.pieces.push([frame, 0, prefix.bytes], [frame, prefix.bytes, frame.length]);
      this.keepalivesWritten++;
      return 'progress';
    }
    const { maxPoints, window, pointsPerSec } = this.setup;
    if (this.next === 0) {
      if (Atomics.load(ctrl, CTRL.stop) === 1 || (maxPoints > 0 && this.sentPoints >= maxPoints)) return 'finished';
      if (maxPoints === 0) return 'idle';
    }
    if (window !== undefined && this.sentPoints - Atomics.load(ctrl, CTRL.returned) >= window) return 'idle';
    if (pointsPerSec !== undefined && this.sentPoints >= ((now - this.started) / 1000) * pointsPerSec) return 'idle';
    const span = this.spans[this.next] as FrameSpan;
    this.pieces.push([this.setup.chunk, span.start, span.bodyStart], [this.setup.chunk, span.bodyStart, span.end]);
    this.sentPoints++;
    this.next = this.next + 1 === this.spans.length ? 0 : this.next + 1;
    return 'progress';
  }
}

/** New connections arrive as messages, polled: the writer's loop never returns to its event loop. */
function serve(setup: FrameWriterSetup, port: NonNullable<typeof parentPort>): never {
  const wake = new Int32Array(setup.wake);
  const post = (message: FrameWriterMessage): void => port.postMessage(message);
  let active: ConnectionWriter[] = [];
  for (;;) {
    const seen = Atomics.load(wake, 0);
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
      const conn = new ConnectionWriter(m.message as FrameWriterConnection);
      active.push(conn);
      post({ type: 'ready', id: conn.id });
    }
    let progress = false;
    let nextRetry = Infinity;
    let finished = false;
    let now = performance.now();
    for (const conn of active) {
      if (conn.retryAt > now) {
        nextRetry = Math.min(nextRetry, conn.retryAt);
        continue;
      }
      let step: Step;
      try {
        // A whole frame (two pieces) per turn, unless the socket is full.
        step = conn.step(now);
        if (step === 'progress') step = conn.step(now);
        if (step === 'progress') step = conn.step(now);
      } catch (err) {
        post(conn.report(`write failed: ${(err as Error).message}`));
        conn.retryAt = Infinity;
        finished = true;
        continue;
      }
      if (step === 'progress') progress = true;
      else if (step === 'blocked') nextRetry = Math.min(nextRetry, conn.retryAt);
      else if (step === 'finished') {
        post(conn.report());
        conn.retryAt = Infinity;
        finished = true;
      }
      now = performance.now();
    }
    if (finished) active = active.filter((c) => c.retryAt !== Infinity);
    if (!progress) {
      const sleep = Math.max(MIN_SLEEP_MS, Math.min(IDLE_SLEEP_MS, nextRetry - performance.now()));
      Atomics.wait(wake, 0, seen, sleep);
    }
  }
}

if (parentPort !== null) serve(workerData as FrameWriterSetup, parentPort);
