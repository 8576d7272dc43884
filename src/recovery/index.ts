export { RecoveryError, type RecoveryErrorCode } from './errors.js';
export { kapacitorCredentials, type KapacitorCredentials } from './credentials.js';
export { KapacitorClient, parseKapacitorUrl, type TaskApi, type TaskView } from './kapacitor-client.js';
export { TaskStateFile, type TaskState } from './state-file.js';
export { TaskRecovery, type TaskRecoveryOptions } from './task-recovery.js';
