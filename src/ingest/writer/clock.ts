/** Time as the writer sees it; tests replace it (or use node:test mock.timers, which the default follows). */
export interface WriterClock {
  nowMs(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Looks the globals up at each call, so that node:test's mock.timers takes effect. */
export const systemClock: WriterClock = {
  nowMs: () => Date.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
};
