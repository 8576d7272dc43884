import type { AsyncLocalStorage } from 'node:async_hooks';
import type { WorkMeter } from './work-meter.js';

type Callback = (...args: unknown[]) => unknown;

/**
 * Makes the callbacks of the global timers (setTimeout, setInterval, setImmediate) count as
 * calls of the session whose code created them, on the work meter: a function that blocks in its
 * own timer is then seen by the block timeout, named like a block in a call into it, instead of
 * only by the stall timeout, which cannot tell whose it was. The session is the one the async
 * context names where the timer was created; timers created outside any session run as before.
 *
 * Not covered: promise continuations and timers of `node:timers` or `node:timers/promises`
 * imported by name. A block there still falls to --stall-timeout.
 */
export function meterTimers(context: AsyncLocalStorage<number>, meter: WorkMeter): void {
  const metered =
    (id: number, callback: Callback): Callback =>
    (...args) => {
      meter.begin(id);
      try {
        return callback(...args);
      } finally {
        meter.end();
      }
    };
  const wrap = (callback: unknown): unknown => {
    const id = context.getStore();
    return id === undefined || typeof callback !== 'function' ? callback : metered(id, callback as Callback);
  };
  const g = globalThis as unknown as Record<'setTimeout' | 'setInterval' | 'setImmediate', Callback>;
  for (const name of ['setTimeout', 'setInterval', 'setImmediate'] as const) {
    const real = g[name];
    // Copies util.promisify's hook (setTimeout.__promisify__ and the like) along with the call.
    g[name] = Object.assign((callback: unknown, ...rest: unknown[]) => real(wrap(callback), ...rest), real);
  }
}
