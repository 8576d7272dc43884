/** Time as the poller sees it; tests pass a fake (or node:test mock timers) instead. */
export interface Clock {
  /** Wall-clock milliseconds since the epoch: point timestamps. */
  now(): number;
  /** Monotonic milliseconds: durations and schedules, immune to clock steps. */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
