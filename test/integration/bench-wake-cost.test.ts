import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benchWakeCost, WAKE_VARIANTS } from '../../bench/internal.js';

// The wake-up figures of the bench page come from this case: every variant must run its
// iterations and, for the round trips, get every answer back. Counts are checked, never times.
describe('bench: the cost of a wake-up', () => {
  it('runs every variant to its iteration count and reports a CPU figure for each', async () => {
    const r = await benchWakeCost(200, 200);
    assert.equal(r.iterations, 200);
    assert.deepEqual(Object.keys(r.cpuMicrosPerIteration), [...WAKE_VARIANTS]);
    for (const v of WAKE_VARIANTS) {
      const cpu = r.cpuMicrosPerIteration[v];
      assert.ok(Number.isFinite(cpu) && cpu > 0, `${v}: ${cpu}`);
    }
  });
});
