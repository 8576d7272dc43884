export interface BackoffSettings {
  /** Upper bound for the wait after failures; never below the router's interval. */
  maxBackoffMs: number;
  /** Fraction (0..0.5) by which each wait is spread at random. */
  jitter: number;
}

/**
 * Wait before the next attempt: the interval while the router answers; after `failures`
 * consecutive failures interval * 2^failures, capped. A router that is down costs less and
 * less, and comes back to its interval with the first success.
 */
export function nextDelayMs(intervalMs: number, failures: number, settings: BackoffSettings, random: () => number): number {
  const cap = Math.max(settings.maxBackoffMs, intervalMs);
  // 2^failures overflows to Infinity long after the cap bites; min() handles that.
  const base = failures <= 0 ? intervalMs : Math.min(intervalMs * 2 ** failures, cap);
  const spread = 1 + settings.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(base * spread));
}
