import { parentPort, threadId, workerData } from 'node:worker_threads';
import { createLogger, type LogLevel } from '../log/logger.js';
import type { FromWorker, ToWorker, WorkerSetup } from './messages.js';
import { loadRegistry } from './registry.js';
import { SessionRunner } from './session-runner.js';

// A session worker: loads the same function modules as the main thread, then serves whatever
// connections the main thread hands it. Loaded by path from WorkerPool.
const port = parentPort;
if (port === null) throw new Error('worker-entry must run as a worker thread');
const setup = workerData as WorkerSetup;
const logger = createLogger({ level: setup.logLevel as LogLevel, fd: setup.logFd }).child({ thread: threadId });


const post = (message: FromWorker): void => {
  if (message.type === 'out' && message.bytes !== null) {
    port.postMessage(message, [message.bytes.buffer as ArrayBuffer]);
  } else {
    port.postMessage(message);
  }
};

const registry = await loadRegistry(setup.udfModules, setup.loadTimeoutMs);
const runner = new SessionRunner(registry, setup.limits, logger, post);
port.on('message', (message: ToWorker) => runner.handle(message));
post({ type: 'ready' });
