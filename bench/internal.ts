/**
 * The benchmarks' door for their own tests (test/unit/bench, test/integration/bench-*,
 * test/e2e/bench-*): the pieces of the load generator, the workloads, the response counter, the
 * machine description and the real-Kapacitor runner that those tests check. The benchmarks
 * themselves run from run.ts; the lint (.dependency-cruiser.mjs) holds this file to test/.
 */
export { frameSpans } from './frame-writer-thread.js';
export { LoadConnection, runLoad, sliceFrames } from './load-generator.js';
export { processTarget } from './children.js';
export { spawnOverPipes } from './process-pipes.js';
export { describeProvenance, provenance } from './machine.js';
export { ResponseCounter } from './response-counter.js';
export { echoWorkload, edgeDetectWorkload, mirrorWorkload } from './workloads.js';
export { measureSocketFloor } from './socket-floor.js';
export { KAPACITOR_VARIANTS, KapacitorBench, type KapacitorUdfMode } from './kapacitor.js';
export { benchWakeCost, WAKE_VARIANTS } from './wake-cost.js';
