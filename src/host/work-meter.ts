/**
 * A worker's progress as the main thread sees it without asking: three Int32 cells of a
 * SharedArrayBuffer. A heartbeat cannot tell a worker that is busy from one stuck in a call that
 * never returns, and it takes as long as --stall-timeout to tell anything; these cells can: the
 * worker bumps a counter for every message and every frame it handles, and names the connection
 * whose message it is handling. A counter that stands still while a connection is named is a
 * function call that has not returned.
 */
const COUNTER = 0;
const BUSY = 1;
const LONG = 2;
export const METER_BYTES = 3 * Int32Array.BYTES_PER_ELEMENT;

/** The worker's side; without cells (sessions on the main thread) every call does nothing. */
export class WorkMeter {
  private readonly cells: Int32Array | undefined;

  constructor(buffer?: SharedArrayBuffer) {
    this.cells = buffer === undefined ? undefined : new Int32Array(buffer);
  }

  /** A message of connection `id` (> 0) is being handled from now. */
  begin(id: number): void {
    if (this.cells === undefined) return;
    Atomics.add(this.cells, COUNTER, 1);
    Atomics.store(this.cells, BUSY, id);
  }

  /** One more frame handled. */
  tick(): void {
    if (this.cells !== undefined) Atomics.add(this.cells, COUNTER, 1);
  }

  end(): void {
    if (this.cells !== undefined) Atomics.store(this.cells, BUSY, 0);
  }

  /** Snapshots and restores may take long legitimately: while one runs, the stall timeout applies instead. */
  long(on: boolean): void {
    if (this.cells === undefined) return;
    Atomics.store(this.cells, LONG, on ? 1 : 0);
    Atomics.add(this.cells, COUNTER, 1);
  }
}

/** The main thread's side: is the worker stuck in one call, and in whose? */
export class MeterWatch {
  private readonly cells: Int32Array;
  private seen = -1;
  private since = 0;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer);
  }

  /**
   * The connection whose message the worker is handling now, 0 for none. Read after the worker
   * has died, it names the session in whose call it died (the cells outlive the thread).
   */
  busy(): number {
    return Atomics.load(this.cells, BUSY);
  }

  /**
   * The connection whose message the worker has been handling without progress for longer than
   * `blockMs` (`longMs` in a snapshot or restore), or undefined.
   */
  stuck(now: number, blockMs: number, longMs: number): { id: number; forMs: number } | undefined {
    const counter = Atomics.load(this.cells, COUNTER);
    if (counter !== this.seen) {
      this.seen = counter;
      this.since = now;
      return undefined;
    }
    const id = Atomics.load(this.cells, BUSY);
    if (id === 0) return undefined;
    const limit = Atomics.load(this.cells, LONG) === 1 ? longMs : blockMs;
    const forMs = now - this.since;
    return forMs >= limit ? { id, forMs } : undefined;
  }
}
