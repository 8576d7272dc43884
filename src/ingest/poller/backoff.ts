import { backoffDelayMs, spreadJitter } from '../timing/index.js';

export interface BackoffSettings {
  /** Upper bound for the wait after failures; never below the router's interval. */
  maxBackoffMs: number;
  /** Fraction (0..0.5) by which each wait is spread at random. */
  jitter: number;
}

/**
 * Wait before the next attempt: the interval while the router answers; after `failures`
 * consecutive failures interval * 2^failures, capped. A router that is down costs less and
 * less, and comes back to its interval with the first success. Every wait is spread by
 * `jitter` either way.
 */
export function nextDelayMs(
  intervalMs: number,
  failures: number,
  settings: BackoffSettings,
  random: () => number,
): number {
  const policy = {
    baseMs: intervalMs,
    capMs: Math.max(settings.maxBackoffMs, intervalMs),
    jitter: spreadJitter(settings.jitter),
  };
  return backoffDelayMs(policy, failures, random);
}
