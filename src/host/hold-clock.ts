import { Worker } from 'node:worker_threads';

/**
 * A shared sub-millisecond one-shot timer for held reads (see ConnectionLimits.coalesceReadsBelow).
 *
 * Node's timers have a granularity of one millisecond and fire up to two late, too long for a
 * hold: a Unix socket holds only about 140 of Kapacitor's two-write frames before its writer
 * blocks, so a 2 ms hold would cap a connection near 70k points/s. `setImmediate` does not wait
 * at all. A thread that sleeps in `Atomics.wait` (a futex, microsecond precision) and posts one
 * message when the hold is over costs one wake-up of the main thread per hold for every
 * connection held at the time, and nothing while no connection is held.
 */
export class HoldClock {
  private readonly slot: Int32Array;
  private readonly worker: Worker;
  private waiting: Array<() => void> = [];
  private closed = false;

  constructor(readonly holdMicros: number) {
    const state = new SharedArrayBuffer(4);
    this.slot = new Int32Array(state);
    const setup: HoldClockSetup = { state, holdMs: holdMicros / 1000 };
    this.worker = new Worker(new URL('./hold-clock-worker.js', import.meta.url), { workerData: setup });
    // The clock never keeps the process alive.
    this.worker.unref();
    this.worker.on('message', () => this.tick());
    this.worker.on('error', () => this.fallBack());
    this.worker.on('exit', () => this.fallBack());
  }

  /** Calls `release` once, at the end of the current hold (one starts if none is running). */
  after(release: () => void): void {
    if (this.closed) {
      setImmediate(release);
      return;
    }
    this.waiting.push(release);
    if (Atomics.compareExchange(this.slot, 0, CLOCK_IDLE, CLOCK_RUNNING) === CLOCK_IDLE) Atomics.notify(this.slot, 0);
  }

  /** Ends the thread; holds still waiting are released at once. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.slot, 0, CLOCK_CLOSED);
    Atomics.notify(this.slot, 0);
    this.release();
  }

  private tick(): void {
    // Nothing to release: the clock sleeps until the next hold sets it running again.
    if (this.waiting.length === 0) Atomics.compareExchange(this.slot, 0, CLOCK_RUNNING, CLOCK_IDLE);
    this.release();
  }

  private release(): void {
    const due = this.waiting;
    this.waiting = [];
    for (const release of due) release();
  }

  /** A clock thread that cannot run (resource limits, a crash) must not leave reads held. */
  private fallBack(): void {
    this.closed = true;
    this.release();
  }
}

export interface HoldClockSetup {
  state: SharedArrayBuffer;
  holdMs: number;
}

export const CLOCK_IDLE = 0;
export const CLOCK_RUNNING = 1;
export const CLOCK_CLOSED = 2;
