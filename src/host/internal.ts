/**
 * The host's second door: the parts `./index.ts` keeps to itself (connections, the worker pool,
 * the session runner, read gating, worker messages), for the tests (test/), the benchmarks
 * (bench/) and scripts/ that drive them directly. Nothing in src/ or udfs/ imports it; the lint
 * (.dependency-cruiser.mjs) holds it to those importers.
 */
export { Connection } from './connection.js';
export { HARVEST_HIGH, HARVEST_LOW, HoldClock, type ReadHoldClock } from './hold-clock.js';
export { KeepaliveScanner } from './keepalive-scanner.js';
export type { ToWorker, FromWorker, OutMessage } from './messages.js';
export { holdReads, releaseReads } from './read-gate.js';
export { isBuiltIn } from './registry.js';
export { SessionRunner } from './session-runner.js';
export { ReplayRing } from './replay-ring.js';
export { claimSocketPath, listenUnix, lookForStale, STALE_RECHECK_MS, type Probe } from './socket-listener.js';
export { WorkerPool, type SessionPlace } from './worker-pool.js';
