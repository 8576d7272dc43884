import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  backoffDelayMs,
  EQUAL_JITTER,
  RetryBackoff,
  spreadJitter,
  type BackoffPolicy,
} from '../../../../src/ingest/timing/index.js';
import { nextDelayMs } from '../../../../src/ingest/poller/index.js';

const steady = (r: number) => (): number => r;

describe('the ingest backoff', () => {
  it('doubles from the base per doubling and stops growing at the cap', () => {
    const p: BackoffPolicy = { baseMs: 1000, capMs: 10_000, jitter: spreadJitter(0) };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((n) => backoffDelayMs(p, n, steady(0.5))),
      [1000, 2000, 4000, 8000, 10_000, 10_000],
    );
  });

  it('reaches the cap instead of Infinity or NaN however many failures there were', () => {
    const p: BackoffPolicy = { baseMs: 1, capMs: 5000, jitter: spreadJitter(0) };
    assert.equal(backoffDelayMs(p, 1023, steady(0)), 5000);
    assert.equal(backoffDelayMs(p, 1_000_000, steady(0)), 5000);
    assert.equal(backoffDelayMs(p, Number.POSITIVE_INFINITY, steady(0)), 5000);
    assert.equal(backoffDelayMs(p, -3, steady(0)), 1, 'no doubling below zero');
  });

  it('spreads a wait by the jitter fraction either way', () => {
    const p: BackoffPolicy = { baseMs: 10_000, capMs: 1e9, jitter: spreadJitter(0.1) };
    assert.equal(backoffDelayMs(p, 0, steady(0)), 9000);
    assert.equal(backoffDelayMs(p, 0, steady(0.5)), 10_000);
    assert.equal(backoffDelayMs(p, 0, steady(1)), 11_000);
  });

  it('with equal jitter keeps a wait within [d/2, d], so it never exceeds the cap', () => {
    const p: BackoffPolicy = { baseMs: 100, capMs: 1000, jitter: EQUAL_JITTER };
    assert.equal(backoffDelayMs(p, 0, steady(0)), 50);
    assert.equal(backoffDelayMs(p, 0, steady(1)), 100);
    assert.equal(backoffDelayMs(p, 9, steady(1)), 1000);
    assert.equal(backoffDelayMs(p, 9, steady(0)), 500);
  });

  it('stays within the jittered bounds of min(cap, base * 2^n) and never shrinks as failures grow', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600_000 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.double({ min: 0, max: 0.5, noNaN: true }),
        fc.integer({ min: 0, max: 80 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (baseMs, extra, fraction, n, r) => {
          const p: BackoffPolicy = { baseMs, capMs: baseMs + extra, jitter: spreadJitter(fraction) };
          const d = Math.min(p.capMs, baseMs * 2 ** n);
          const got = backoffDelayMs(p, n, steady(r));
          assert.ok(
            got >= Math.floor(d * (1 - fraction)) && got <= Math.ceil(d * (1 + fraction)),
            `${got} outside the spread of ${d}`,
          );
          assert.ok(backoffDelayMs(p, n + 1, steady(r)) >= got);
        },
      ),
    );
  });
});

describe('RetryBackoff', () => {
  it('waits the base after the first failure, doubles up to its cap, and starts over after reset', () => {
    const high = new RetryBackoff({ baseMs: 100, capMs: 1000, jitter: EQUAL_JITTER }, steady(1));
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map(() => high.next()),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.equal(high.failures, 6);
    const low = new RetryBackoff({ baseMs: 100, capMs: 1000, jitter: EQUAL_JITTER }, steady(0));
    assert.deepEqual(
      [1, 2, 3].map(() => low.next()),
      [50, 100, 200],
    );
    low.reset();
    assert.equal(low.failures, 0);
    assert.equal(low.next(), 50);
    assert.equal(low.failures, 1);
  });
});

describe("the poller's schedule on the shared backoff", () => {
  it('is interval * 2^failures, capped at max(maxBackoff, interval), spread by the jitter', () => {
    const s = { maxBackoffMs: 300_000, jitter: 0.1 };
    for (const failures of [0, 1, 2, 3, 10, 5000]) {
      for (const r of [0, 0.25, 0.5, 0.999]) {
        const policy: BackoffPolicy = { baseMs: 60_000, capMs: 300_000, jitter: spreadJitter(0.1) };
        assert.equal(nextDelayMs(60_000, failures, s, steady(r)), backoffDelayMs(policy, failures, steady(r)));
      }
    }
    assert.equal(
      nextDelayMs(600_000, 3, { maxBackoffMs: 300_000, jitter: 0 }, steady(0.5)),
      600_000,
      'the cap is never below the interval',
    );
  });
});
