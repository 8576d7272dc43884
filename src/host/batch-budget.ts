/**
 * The host-wide budget for points held in open batches (BeginBatch without its EndBatch yet).
 * Sessions run on different worker threads, so the count lives in a SharedArrayBuffer that every
 * thread updates with Atomics: cell 0 is the host's total, cell 1 + p what place p holds of it,
 * so that the main thread can take back what a worker held when that worker dies.
 *
 * Sessions reserve in steps of {@link RESERVE_STEP} bytes, not per point: one atomic add per
 * few hundred points, and the total stays a sum of whole steps (at most one step over the
 * bound per place at a time, never more).
 */
export interface SharedBatchBudget {
  readonly buffer: SharedArrayBuffer;
  readonly maxBytes: number;
}

/** What a session reserves at a time; small against any sensible budget. */
export const RESERVE_STEP = 64 * 1024;

/**
 * 32 MiB: about 160,000 held points of a typical series (a batch at --max-batch-points and half
 * another, or sixteen of 10,000 points). Kapacitor sends a task's batches one after the other,
 * so this is what tasks' batches open at the same moment share. Under a flood of batches that
 * never end, the workers' heaps (young generation, and old generation between collections) grow
 * to several times what they hold live: 64 MiB let eight such peers take the host 256 MiB over
 * its idle size, 32 MiB keeps it well under.
 */
export const DEFAULT_MAX_OPEN_BATCH_BYTES = 32 * 1024 * 1024;

/** The largest budget the 32-bit shared cells can count, with room for every place's last step. */
export const MAX_OPEN_BATCH_BYTES = 1024 ** 3;

/** A budget for `places` places (worker slots and the main thread). */
export function createBatchBudget(maxBytes: number, places: number): SharedBatchBudget {
  return { buffer: new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT * (1 + places)), maxBytes };
}

/** One place's side of the shared budget. */
export class BatchBudget {
  private readonly cells: Int32Array;

  constructor(
    readonly shared: SharedBatchBudget,
    private readonly place: number,
  ) {
    this.cells = new Int32Array(shared.buffer);
  }

  get maxBytes(): number {
    return this.shared.maxBytes;
  }

  /** Takes `bytes` (a multiple of RESERVE_STEP) from the budget; false, taking nothing, when that would exceed it. */
  reserve(bytes: number): boolean {
    if (Atomics.add(this.cells, 0, bytes) + bytes > this.shared.maxBytes) {
      Atomics.sub(this.cells, 0, bytes);
      return false;
    }
    Atomics.add(this.cells, 1 + this.place, bytes);
    return true;
  }

  release(bytes: number): void {
    if (bytes <= 0) return;
    Atomics.sub(this.cells, 1 + this.place, bytes);
    Atomics.sub(this.cells, 0, bytes);
  }

  /** Bytes held by every place together. */
  get used(): number {
    return Atomics.load(this.cells, 0);
  }
}

/** Gives back what place `place` held: its thread is gone, and with it the batches it held. */
export function reclaimPlace(shared: SharedBatchBudget, place: number): void {
  const cells = new Int32Array(shared.buffer);
  const held = Atomics.exchange(cells, 1 + place, 0);
  Atomics.sub(cells, 0, held);
}
