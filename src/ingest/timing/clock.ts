/**
 * Time as ingest sees it: the poller's schedule, the writer's flush and retry timers, the
 * transports' login and command deadlines. Tests pass a fake, or use node:test's mock.timers,
 * which {@link systemClock} follows.
 */
export interface Clock {
  /** Wall-clock milliseconds since the epoch: point timestamps, Retry-After dates. */
  now(): number;
  /** Monotonic milliseconds: durations and schedules, immune to clock steps. */
  monotonic(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Looks the globals up at each call, so that node:test's mock.timers takes effect. */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
};
