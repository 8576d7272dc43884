import type { ReloadOutcome } from './host-status.js';
import type { SessionCounts } from './session.js';

/** How a connection ended, as the host's metrics count it. */
export type EndReason =
  /** Kapacitor closed its side and the session finished (task stopped, or an Info-only connection). */
  | 'eof'
  /** The session ended with an ErrorResponse. */
  | 'error'
  /** The worker running it crashed, exited or stopped answering: the session was lost. */
  | 'lost'
  /** The connection was reset or closed without the session finishing. */
  | 'peer'
  /** Closed by the host at the end of its shutdown grace period. */
  | 'shutdown';

/** What an ErrorResponse was about. */
export type ErrorKind = 'frame' | 'request' | 'protocol' | 'function' | 'lost';

/** Event-loop delay of one thread since the last report, in milliseconds. */
export interface LagStats {
  meanMs: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * Told what the host does, for metrics and task recovery. Every method is called on the main
 * thread; counts from workers arrive with their heartbeat (about once a second) and when a
 * session ends, never per point.
 */
export interface HostObserver {
  connectionOpened?(udf: string): void;
  /** A task's session was initialised (InitResponse success). */
  sessionStarted?(udf: string, taskID: string, nodeID: string): void;
  connectionEnded?(udf: string, reason: EndReason, task: { taskID: string; nodeID: string } | undefined): void;
  /** Requests, points and batches handled since the last report for this connection. */
  counted?(udf: string, delta: SessionCounts): void;
  /** A keepalive answered on the main thread: from the read of its bytes to the reply's write completing. */
  keepalive?(udf: string, seconds: number): void;
  errorResponse?(udf: string, kind: ErrorKind): void;
  initFailed?(udf: string): void;
  snapshot?(udf: string, bytes: number, seconds: number): void;
  workerReplaced?(slot: number, reason: string): void;
  workerLag?(slot: number, lag: LagStats): void;
  /** A reload ended (SIGHUP or `kudf reload`), however it went. */
  reloaded?(outcome: ReloadOutcome): void;
}

/** What a worker reports with each heartbeat answer (and the main thread's runner on demand). */
export interface RunnerReport {
  sessions: Array<{ id: number; counts: SessionCounts }>;
  initFailures: Array<{ udf: string }>;
  errors: Array<{ udf: string; kind: ErrorKind }>;
  snapshots: Array<{ udf: string; bytes: number; seconds: number }>;
  lag?: LagStats;
}

/** One observer that tells each of `observers` every event (those that listen for it). */
export function combineObservers(observers: ReadonlyArray<HostObserver | undefined>): HostObserver {
  const list = observers.filter((o): o is HostObserver => o !== undefined);
  return {
    connectionOpened: (udf) => list.forEach((o) => o.connectionOpened?.(udf)),
    sessionStarted: (udf, taskID, nodeID) => list.forEach((o) => o.sessionStarted?.(udf, taskID, nodeID)),
    connectionEnded: (udf, reason, task) => list.forEach((o) => o.connectionEnded?.(udf, reason, task)),
    counted: (udf, delta) => list.forEach((o) => o.counted?.(udf, delta)),
    keepalive: (udf, seconds) => list.forEach((o) => o.keepalive?.(udf, seconds)),
    errorResponse: (udf, kind) => list.forEach((o) => o.errorResponse?.(udf, kind)),
    initFailed: (udf) => list.forEach((o) => o.initFailed?.(udf)),
    snapshot: (udf, bytes, seconds) => list.forEach((o) => o.snapshot?.(udf, bytes, seconds)),
    workerReplaced: (slot, reason) => list.forEach((o) => o.workerReplaced?.(slot, reason)),
    workerLag: (slot, lag) => list.forEach((o) => o.workerLag?.(slot, lag)),
    reloaded: (outcome) => list.forEach((o) => o.reloaded?.(outcome)),
  };
}
