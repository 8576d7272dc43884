/**
 * Counts free poll slots; waiters are served first come, first served. Each release function
 * works once: a second call does nothing, so a poll that releases twice cannot hand out a slot
 * it no longer holds and let more polls run than `size`.
 */
export class Semaphore {
  private free: number;
  private readonly waiters: Array<(release: (() => void) | undefined) => void> = [];

  constructor(size: number) {
    this.free = size;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  /** Resolves with a release function, or `undefined` when `cancelWaiters` ran first. */
  acquire(): Promise<(() => void) | undefined> {
    if (this.free > 0) {
      this.free -= 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  cancelWaiters(): void {
    for (const w of this.waiters.splice(0)) w(undefined);
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next !== undefined) next(this.releaser());
      else this.free += 1;
    };
  }
}
