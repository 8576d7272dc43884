import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PollScheduler, Semaphore, systemClock } from '../../../../src/ingest/poller/index.js';

/** Lets resolved acquisitions run their continuations. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i += 1) await Promise.resolve();
}

/** Polls that each take a slot of `sem` and hold it until `finish`; `active` are those holding one. */
function polls(sem: Semaphore) {
  const active = new Set<number>();
  const releases = new Map<number, () => void>();
  let next = 0;
  return {
    active,
    start(count: number): void {
      for (let i = 0; i < count; i += 1) {
        const id = next++;
        void sem.acquire().then((release) => {
          if (release === undefined) return;
          active.add(id);
          releases.set(id, release);
        });
      }
    },
    /** The poll ends and calls its release `times` times (a second call is the bug guarded against). */
    finish(id: number, times: number): void {
      active.delete(id);
      const release = releases.get(id);
      assert.ok(release !== undefined, `poll ${id} never held a slot`);
      for (let i = 0; i < times; i += 1) release();
    },
  };
}

describe('poll concurrency semaphore', () => {
  it('hands a freed slot to one waiting poll only when the release is called twice', async () => {
    const sem = new Semaphore(2);
    const p = polls(sem);
    p.start(5);
    await settle();
    assert.deepEqual([...p.active], [0, 1]);
    p.finish(0, 2);
    await settle();
    assert.deepEqual([...p.active].sort(), [1, 2], 'a third poll ran with concurrency 2');
    assert.equal(sem.waiting, 2);
  });

  it('frees one slot per poll when nobody waits and the release is called twice', async () => {
    const sem = new Semaphore(2);
    const p = polls(sem);
    p.start(2);
    await settle();
    p.finish(0, 2);
    p.start(2);
    await settle();
    assert.equal(p.active.size, 2, 'a third poll ran with concurrency 2');
    assert.equal(sem.waiting, 1);
  });

  it('counts a slot as free again after a single release', async () => {
    const sem = new Semaphore(2);
    const p = polls(sem);
    p.start(3);
    await settle();
    p.finish(1, 1);
    await settle();
    assert.deepEqual([...p.active].sort(), [0, 2]);
    p.finish(0, 1);
    p.finish(2, 1);
    p.start(2);
    await settle();
    assert.equal(p.active.size, 2);
    assert.equal(sem.waiting, 0);
  });

  it('gives a poll still waiting when stop() cancels the waiters no slot', async () => {
    const sem = new Semaphore(1);
    const p = polls(sem);
    p.start(2);
    await settle();
    sem.cancelWaiters();
    await settle();
    assert.deepEqual([...p.active], [0]);
    assert.equal(sem.waiting, 0);
  });
});

describe('scheduler concurrency', () => {
  it('keeps exactly two polls running with concurrency 2 while others wait, also when polls fail or throw', async () => {
    let running = 0;
    let peak = 0;
    const gate: Array<() => void> = [];
    const jobs = Array.from({ length: 6 }, (_, i) => ({
      id: `r${i}`,
      intervalMs: 1000,
      run: async (): Promise<boolean> => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => gate.push(r));
        running -= 1;
        if (i % 3 === 1) throw new Error('poll blew up');
        return i % 3 === 0;
      },
    }));
    const sched = new PollScheduler(jobs, { concurrency: 2, maxBackoffMs: 1000, jitter: 0, clock: systemClock });
    const once = sched.runOnce();
    for (let done = 0; done < jobs.length; done += 1) {
      await settle();
      assert.equal(running, 2, `two polls running after ${done} finished`);
      if (done >= jobs.length - 2) break;
      gate.shift()?.();
    }
    while (gate.length > 0) {
      gate.shift()?.();
      await settle();
    }
    await once;
    assert.equal(peak, 2);
  });
});
