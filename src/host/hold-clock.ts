import { Worker } from 'node:worker_threads';

/** What a connection needs of a hold clock: a test's clock that ticks on demand offers the same. */
export interface ReadHoldClock {
  readonly adapts: boolean;
  harvested(frames: number): void;
  after(release: () => void): void;
}

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
export class HoldClock implements ReadHoldClock {
  private readonly slot: Int32Array;
  private readonly worker: Worker;
  private waiting: Array<() => void> = [];
  private closed = false;
  // The most frames a read brought right after a hold, since the last tick (-1: none reported).
  private harvest = -1;

  /**
   * `holdMicros` is the shortest period, `longestMicros` the longest: the period lengthens while
   * every hold gathers few frames (a task through a UDF node sends 50–80k points/s on two cores,
   * where a 1000 µs period cost the host 7–23 % less CPU than 500 µs: the main thread wakes once
   * a tick, whatever it releases) and shortens again as soon as one gathers many (a fast
   * connection would otherwise fill its socket, ~140 two-write frames, and block its writer).
   */
  constructor(
    readonly holdMicros: number,
    readonly longestMicros = holdMicros,
  ) {
    const state = new SharedArrayBuffer(8);
    this.slot = new Int32Array(state);
    Atomics.store(this.slot, PERIOD, holdMicros);
    const setup: HoldClockSetup = { state };
    this.worker = new Worker(new URL('./hold-clock-worker.js', import.meta.url), { workerData: setup });
    // The clock never keeps the process alive.
    this.worker.unref();
    this.worker.on('message', () => this.tick());
    this.worker.on('error', () => this.fallBack());
    this.worker.on('exit', () => this.fallBack());
  }

  /** Whether the period follows what the holds gather (a longest period over the shortest). */
  get adapts(): boolean {
    return this.longestMicros > this.holdMicros;
  }

  /** The current period in microseconds. */
  get periodMicros(): number {
    return Atomics.load(this.slot, PERIOD);
  }

  /** Told the frames the first read after a hold brought: what the period adapts to. */
  harvested(frames: number): void {
    if (this.adapts && frames > this.harvest) this.harvest = frames;
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
    this.adapt();
    // Nothing to release: the clock sleeps until the next hold sets it running again.
    if (this.waiting.length === 0) Atomics.compareExchange(this.slot, 0, CLOCK_RUNNING, CLOCK_IDLE);
    this.release();
  }

  private adapt(): void {
    if (this.harvest < 0) return;
    if (this.harvest > HARVEST_HIGH) Atomics.store(this.slot, PERIOD, this.holdMicros);
    else if (this.harvest < HARVEST_LOW) Atomics.store(this.slot, PERIOD, this.longestMicros);
    this.harvest = -1;
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
  /** Int32 slots: the clock's state (CLOCK_*), then its period in microseconds. */
  state: SharedArrayBuffer;
}

/** The slot of the state holding the period in microseconds; slot 0 holds CLOCK_*. */
export const PERIOD = 1;
/**
 * Under this many frames in every read after a hold, the period goes to its longest: at 500 µs,
 * connections under 80k points/s, which at 1000 µs gather under 80, under HARVEST_HIGH.
 */
export const HARVEST_LOW = 40;
/** Over this many in one, back to the shortest: what a Unix socket holds before its writer blocks, less a margin. */
export const HARVEST_HIGH = 100;

export const CLOCK_IDLE = 0;
export const CLOCK_RUNNING = 1;
export const CLOCK_CLOSED = 2;
