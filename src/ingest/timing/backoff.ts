/**
 * The one backoff ingest uses: a wait that doubles, stops growing at a cap, and is spread at
 * random so that many routers or writers coming back from one outage do not retry in lockstep.
 * The poller and the writer differ only in their policy (base, cap, jitter), not in the formula.
 */

/** Each wait `d` is drawn uniformly from `[d * low, d * high]`. */
export interface Jitter {
  readonly low: number;
  readonly high: number;
}

/** `d` spread by up to `fraction` either way: `[d * (1 - fraction), d * (1 + fraction)]`. */
export function spreadJitter(fraction: number): Jitter {
  return { low: 1 - fraction, high: 1 + fraction };
}

/** "Equal jitter": `[d / 2, d]`, so a wait never collapses to nothing and never exceeds the cap. */
export const EQUAL_JITTER: Jitter = { low: 0.5, high: 1 };

export interface BackoffPolicy {
  /** The wait before any doubling; above 0. */
  baseMs: number;
  /** The longest wait before jitter: doubling stops here. */
  capMs: number;
  jitter: Jitter;
}

// 2^1024 is Infinity, and 0 * Infinity is NaN: doubling stops long before that anyway.
const MAX_DOUBLINGS = 1023;

/**
 * `min(capMs, baseMs * 2^doublings)`, spread by the jitter, rounded to whole milliseconds and
 * never negative. `random` returns [0, 1) like Math.random; tests pass a constant.
 */
export function backoffDelayMs(policy: BackoffPolicy, doublings: number, random: () => number): number {
  const n = Math.min(Math.max(0, doublings), MAX_DOUBLINGS);
  const d = Math.min(policy.capMs, policy.baseMs * 2 ** n);
  const { low, high } = policy.jitter;
  return Math.max(0, Math.round(d * (low + (high - low) * random())));
}

/**
 * Counts consecutive failures and says how long to wait after each: the first waits
 * {@link backoffDelayMs} with no doubling, each further one doubles, `reset()` (a success)
 * starts over.
 */
export class RetryBackoff {
  private attempts = 0;

  constructor(
    private readonly policy: BackoffPolicy,
    private readonly random: () => number = Math.random,
  ) {}

  /** Records a failure and returns the wait before the next attempt. */
  next(): number {
    const delay = backoffDelayMs(this.policy, this.attempts, this.random);
    this.attempts += 1;
    return delay;
  }

  reset(): void {
    this.attempts = 0;
  }

  /** Failures since the last reset. */
  get failures(): number {
    return this.attempts;
  }
}
