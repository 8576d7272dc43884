import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { PollScheduler, nextDelayMs, type Clock } from '../../../../src/ingest/poller/index.js';

function mockClock(): Clock {
  return {
    now: () => Date.now(),
    monotonic: () => Date.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
}

/** Lets pending promise callbacks (the job's run) settle between timer ticks. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

describe('backoff', () => {
  it('doubles the wait per consecutive failure up to the cap, and never below the interval', () => {
    const s = { maxBackoffMs: 300_000, jitter: 0 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 6, 60].map((f) => nextDelayMs(60_000, f, s, () => 0.5)),
      [60_000, 120_000, 240_000, 300_000, 300_000, 300_000, 300_000, 300_000],
    );
    assert.equal(
      nextDelayMs(600_000, 3, s, () => 0.5),
      600_000,
    );
  });

  it('spreads each wait by at most the jitter fraction', () => {
    const s = { maxBackoffMs: 1e9, jitter: 0.1 };
    assert.equal(
      nextDelayMs(10_000, 0, s, () => 0),
      9_000,
    );
    assert.equal(
      nextDelayMs(10_000, 0, s, () => 1),
      11_000,
    );
  });
});

describe('scheduler', () => {
  it('spaces a failing router exponentially and returns to the interval after a success', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
    try {
      const runsAt: number[] = [];
      const answers = [false, false, false, false, true, true];
      const delays: number[] = [];
      const sched = new PollScheduler(
        [
          {
            id: 'r',
            intervalMs: 1000,
            run: async () => {
              runsAt.push(Date.now());
              return answers.shift() ?? true;
            },
          },
        ],
        {
          concurrency: 1,
          maxBackoffMs: 5000,
          jitter: 0,
          clock: mockClock(),
          random: () => 0.5,
          onScheduled: (_id, d) => delays.push(d),
        },
      );
      sched.start();
      for (let t = 0; t < 20_000; t += 10) {
        mock.timers.tick(10);
        await settle();
      }
      const gaps = runsAt.slice(1, 7).map((t, i) => t - (runsAt[i] ?? 0));
      assert.deepEqual(gaps, [2000, 4000, 5000, 5000, 1000, 1000]);
      assert.deepEqual(delays.slice(0, 6), [0, 2000, 4000, 5000, 5000, 1000]);
      await sched.stop(0);
    } finally {
      mock.timers.reset();
    }
  });

  it('never runs more jobs at once than the concurrency allows, and runs each job once in runOnce', async () => {
    let running = 0;
    let peak = 0;
    const ran: string[] = [];
    const jobs = Array.from({ length: 10 }, (_, i) => ({
      id: `r${i}`,
      intervalMs: 1000,
      run: async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setImmediate(r));
        running -= 1;
        ran.push(`r${i}`);
        return true;
      },
    }));
    const sched = new PollScheduler(jobs, { concurrency: 3, maxBackoffMs: 1000, jitter: 0, clock: mockClock() });
    await sched.runOnce();
    assert.equal(peak, 3);
    assert.equal(ran.length, 10);
    assert.equal(new Set(ran).size, 10);
  });

  it('stops scheduling at stop() and reports runs still going at the deadline', async () => {
    let release: () => void = () => undefined;
    const sched = new PollScheduler(
      [
        {
          id: 'slow',
          intervalMs: 1000,
          run: () =>
            new Promise<boolean>((r) => {
              release = () => r(true);
            }),
        },
      ],
      {
        concurrency: 1,
        maxBackoffMs: 1000,
        jitter: 0,
        clock: mockClock(),
      },
    );
    const once = sched.runOnce();
    await settle();
    assert.equal(await sched.stop(5), 1);
    release();
    await once;
    assert.equal(await sched.stop(5), 0);
  });
});
