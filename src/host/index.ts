export {
  DEFAULT_COALESCE_HOLD_MICROS,
  DEFAULT_COALESCE_HOLD_MAX_MICROS,
  DEFAULT_COALESCE_READS_BELOW,
  DEFAULT_BLOCK_TIMEOUT_MS,
  DEFAULT_REPLAY_BYTES,
  UdfHost,
  type UdfHostOptions,
  type ServedSocket,
  type HostOpsStatus,
} from './udf-host.js';
export {
  combineObservers,
  type HostObserver,
  type EndReason,
  type ErrorKind,
  type LagStats,
  type RunnerReport,
} from './observer.js';
export { DEFAULT_MAX_OPEN_BATCH_BYTES, MAX_OPEN_BATCH_BYTES } from './batch-budget.js';
export { runStdioSession, sessionStdin, type StdioSessionOptions } from './stdio-session.js';
export { Session, type SessionCounts, type SessionVerdict } from './session.js';
export {
  loadRegistry,
  udfModuleUrls,
  listUdfDir,
  BUILTIN_UDFS_MODULE,
  UdfLoadError,
  DEFAULT_LOAD_TIMEOUT_MS,
} from './registry.js';
export { SocketSetupError, type SocketAccess } from './socket-listener.js';
export { readHostStatus, HOST_STATUS_FILE, type HostStatus, type ReloadOutcome } from './host-status.js';
export type { PoolHealth } from './worker-pool.js';
