import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HARVEST_HIGH, HARVEST_LOW, HoldClock } from '../../../src/host/internal.js';
import { beforeDeadline } from '../../helpers/index.js';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `release` has been called, and counts how often it was. */
function waiter(): { release: () => void; calls: () => number; done: Promise<void> } {
  let calls = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return {
    release: () => {
      calls++;
      resolve();
    },
    calls: () => calls,
    done,
  };
}

describe('HoldClock', () => {
  it('releases every waiter exactly once, never within the call that registers it', async (t) => {
    const clock = new HoldClock(200);
    t.after(() => clock.close());
    const waiters = Array.from({ length: 20 }, () => waiter());
    for (const w of waiters) clock.after(w.release);
    assert.ok(
      waiters.every((w) => w.calls() === 0),
      'no release before the hold is over',
    );
    assert.notEqual(await beforeDeadline(Promise.all(waiters.map((w) => w.done)), 5000), 'deadline');
    await pause(20);
    assert.deepEqual(
      waiters.map((w) => w.calls()),
      waiters.map(() => 1),
    );
  });

  it('wakes again for a hold that starts after it has gone idle', async (t) => {
    const clock = new HoldClock(200);
    t.after(() => clock.close());
    const first = waiter();
    clock.after(first.release);
    assert.notEqual(await beforeDeadline(first.done, 5000), 'deadline');
    // Long enough for ticks that find nothing held: the clock is asleep by now.
    await pause(50);
    const second = waiter();
    clock.after(second.release);
    assert.notEqual(await beforeDeadline(second.done, 5000), 'deadline');
    assert.equal(second.calls(), 1);
  });

  it('releases waiting holds when closed, and holds started after it at once', async () => {
    const clock = new HoldClock(100_000);
    const held = waiter();
    clock.after(held.release);
    clock.close();
    assert.equal(held.calls(), 1, 'released by close');
    const late = waiter();
    clock.after(late.release);
    assert.notEqual(await beforeDeadline(late.done, 5000), 'deadline');
    assert.equal(late.calls(), 1);
  });

  it('lengthens its period while holds gather few frames, and shortens it at once when one gathers many', async (t) => {
    const clock = new HoldClock(200, 600);
    t.after(() => clock.close());
    const hold = async (harvest?: number): Promise<void> => {
      const w = waiter();
      clock.after(w.release);
      if (harvest !== undefined) clock.harvested(harvest);
      assert.notEqual(await beforeDeadline(w.done, 5000), 'deadline');
    };
    assert.equal(clock.periodMicros, 200);
    await hold();
    assert.equal(clock.periodMicros, 200, 'no harvest reported: no change');
    await hold(HARVEST_LOW - 1);
    assert.equal(clock.periodMicros, 600);
    await hold(HARVEST_LOW);
    assert.equal(clock.periodMicros, 600, 'between the marks: no change');
    await hold(HARVEST_HIGH + 1);
    assert.equal(clock.periodMicros, 200);
    // The largest harvest of a tick decides: one fast connection among slow ones keeps it short.
    const w = waiter();
    clock.after(w.release);
    clock.harvested(1);
    clock.harvested(HARVEST_HIGH + 1);
    clock.harvested(2);
    assert.notEqual(await beforeDeadline(w.done, 5000), 'deadline');
    assert.equal(clock.periodMicros, 200);
  });

  it('keeps one period when its longest is its shortest', async (t) => {
    const clock = new HoldClock(200);
    t.after(() => clock.close());
    const w = waiter();
    clock.after(w.release);
    clock.harvested(0);
    assert.notEqual(await beforeDeadline(w.done, 5000), 'deadline');
    assert.equal(clock.periodMicros, 200);
  });
});
