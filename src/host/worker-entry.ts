import { AsyncLocalStorage } from 'node:async_hooks';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { createLogger, type LogLevel } from '../log/index.js';
import { BatchBudget } from './batch-budget.js';
import type { FromWorker, ToWorker, WorkerSetup } from './messages.js';
import { loadRegistry, verifyDigests } from './registry.js';
import { SessionRunner } from './session-runner.js';
import { meterTimers } from './timer-meter.js';
import { WorkMeter } from './work-meter.js';

// A session worker: loads the same function modules as the main thread, then serves whatever
// connections the main thread hands it. Loaded by path from WorkerPool.
const port = parentPort;
if (port === null) throw new Error('worker-entry must run as a worker thread');
const setup = workerData as WorkerSetup;
const logger = createLogger({
  level: setup.logLevel as LogLevel,
  fd: setup.logFd,
  ...(setup.logFormat !== undefined ? { format: setup.logFormat } : {}),
}).child({ thread: threadId });

const post = (message: FromWorker): void => {
  if (message.type === 'out' && message.bytes !== null) {
    port.postMessage(message, [message.bytes.buffer as ArrayBuffer]);
  } else if (message.type === 'outs') {
    const buffers = message.messages.flatMap((m) => (m.bytes !== null ? [m.bytes.buffer as ArrayBuffer] : []));
    port.postMessage(message, buffers);
  } else {
    port.postMessage(message);
  }
};

if (setup.moduleDigests !== undefined) await verifyDigests(setup.moduleDigests);
const registry = await loadRegistry(setup.udfModules, setup.loadTimeoutMs);
const sessions = new AsyncLocalStorage<number>();
const openBatches = setup.openBatches !== undefined ? new BatchBudget(setup.openBatches, setup.place ?? 0) : undefined;
const runner = new SessionRunner(registry, setup.limits, logger, post, sessions, openBatches);
runner.lagSampler = eventLoopLagSampler();
runner.meter = new WorkMeter(setup.meter);
meterTimers(sessions, runner.meter);

// Faults of function code outside a call into it end only the session whose code it was: the
// async context its timers and promises were created in names the connection. One that cannot
// be traced to a live session ends this worker, as before: the pool replaces it.
const realExit = process.exit.bind(process);
const outsideCall = (err: unknown): void => {
  const id = sessions.getStore();
  if (id !== undefined) {
    // A session that has already ended may still have timers running: nothing left to end.
    if (!runner.failFromAsync(id, err))
      logger.warn(
        { conn: id, err: err instanceof Error ? err.message : String(err) },
        'fault from function code of a session that has ended; ignored',
      );
    return;
  }
  logger.error(
    { err: err instanceof Error ? err.message : String(err) },
    'fault outside any session; ending this worker',
  );
  realExit(1);
};
process.on('uncaughtException', outsideCall);
process.on('unhandledRejection', outsideCall);
// process.exit from function code would end every session of this worker: refuse it. Called in
// a call into the function, the throw becomes that session's ErrorResponse; from a callback, it
// becomes an uncaught exception, handled above.
process.exit = (code?: unknown) => {
  throw new Error(
    `process.exit(${typeof code === 'number' || typeof code === 'string' ? code : ''}) called by function code`,
  );
};
port.on('message', (message: ToWorker) => {
  if (message.type === 'reload') void reload(message);
  else runner.handle(message);
});
post({ type: 'ready' });

/**
 * Loads the reloaded modules while the sessions go on with the code they run, then moves them in
 * one synchronous step, between two messages: at a frame boundary of every connection.
 */
async function reload(message: Extract<ToWorker, { type: 'reload' }>): Promise<void> {
  try {
    await verifyDigests(message.moduleDigests);
    const next = await loadRegistry(message.udfModules, setup.loadTimeoutMs);
    post({ type: 'reloaded', generation: message.generation, ok: true, ...runner.reload(next, message.generation) });
  } catch (err) {
    post({
      type: 'reloaded',
      generation: message.generation,
      ok: false,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

/** This thread's event-loop delay since the previous call (a 10 ms sampling timer, as prom-client uses for the main thread). */
function eventLoopLagSampler(): () => { meanMs: number; p99Ms: number; maxMs: number } {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  return () => {
    const out =
      h.count === 0
        ? { meanMs: 0, p99Ms: 0, maxMs: 0 }
        : { meanMs: h.mean / 1e6, p99Ms: h.percentile(99) / 1e6, maxMs: h.max / 1e6 };
    h.reset();
    return out;
  };
}
