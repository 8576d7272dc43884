/**
 * The `kapacitor` and `kapacitor-process` benchmark cases measure what they say: every point
 * written reaches the task's output, and the host's CPU is read from the processes that really
 * served the task (the `kudf serve` in socket mode, kapacitord's `kudf serve --stdio` children in
 * process mode). Figures are the benchmark's business; this checks only that they are taken.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KAPACITOR_VARIANTS, KapacitorBench, type KapacitorUdfMode } from '../../bench/internal.js';

const POINTS = 20_000;

describe('the benchmark against a real Kapacitor', () => {
  for (const mode of ['socket', 'process'] as const satisfies readonly KapacitorUdfMode[]) {
    it(`counts every point and the host's CPU in ${mode} mode`, async () => {
      const bench = await KapacitorBench.start(1, mode);
      try {
        const mirror = KAPACITOR_VARIANTS.find((v) => v.name === '@mirror');
        const none = KAPACITOR_VARIANTS.find((v) => v.name === 'none');
        assert.ok(mirror !== undefined && none !== undefined);
        const run = await bench.run(mirror, 1, POINTS, undefined);
        assert.equal(run.pointsIn, POINTS);
        assert.equal(run.pointsOut, POINTS);
        // The host decoded and answered every point: no process found would give 0 (or NaN).
        assert.ok(
          run.hostCpuSecondsPerMillion > 0 && Number.isFinite(run.hostCpuSecondsPerMillion),
          JSON.stringify(run),
        );
        assert.ok(run.kapacitordCpuSecondsPerMillion > 0, JSON.stringify(run));
        assert.ok(run.pointsPerSec > 0, JSON.stringify(run));
        // A task with no UDF leaves the host idle: its figure is what the host itself did, not kapacitord's.
        const idle = await bench.run(none, 1, POINTS, undefined);
        assert.equal(idle.pointsOut, POINTS);
        assert.ok(idle.hostCpuSecondsPerMillion < run.hostCpuSecondsPerMillion / 2, JSON.stringify([idle, run]));
      } finally {
        await bench.stop();
      }
    });
  }
});
