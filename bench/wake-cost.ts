/**
 * What one wake-up of a thread costs this machine, in CPU: the unit behind every hand-off of the
 * host under Kapacitor's writes, where a hold period of 500 µs carries a few dozen frames and
 * costs a fixed number of wake-ups (the clock's tick, the hand-off to the worker, its answer).
 *
 * Every variant runs the same loop on the main thread: sleep 500 µs (`Atomics.wait`, as the hold
 * clock does), then do the variant's hand-off, then yield to the event loop (`setImmediate`).
 * CPU is the whole process's (`process.cpuUsage`: every thread, user and system), per iteration.
 * The first variant has no hand-off: what the others cost beyond it is the hand-off's.
 */
import { Worker } from 'node:worker_threads';

export interface WakeCostResult {
  iterations: number;
  sleepMicros: number;
  /** µs of process CPU per iteration, by variant. */
  cpuMicrosPerIteration: Record<WakeVariant, number>;
}

export const WAKE_VARIANTS = ['sleep-only', 'post-one-way', 'post-round-trip', 'futex-round-trip'] as const;
export type WakeVariant = (typeof WAKE_VARIANTS)[number];

// The worker: answers each message (round trip), or nothing (one way), or, for the futex
// variant, waits on a shared cell and notifies back without any event loop.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { variant, cells } = workerData;
const cell = new Int32Array(cells);
if (variant === 'futex-round-trip') {
  let seen = 0;
  for (;;) {
    Atomics.wait(cell, 0, seen);
    seen = Atomics.load(cell, 0);
    if (seen < 0) break;
    Atomics.store(cell, 1, seen);
    Atomics.notify(cell, 1);
  }
} else {
  parentPort.on('message', (m) => {
    if (variant === 'post-round-trip') parentPort.postMessage(m);
  });
}
`;

const SLEEP_CELL = new Int32Array(new SharedArrayBuffer(4));

async function measure(variant: WakeVariant, iterations: number, sleepMicros: number): Promise<number> {
  const cells = new SharedArrayBuffer(8);
  const cell = new Int32Array(cells);
  const worker =
    variant === 'sleep-only' ? undefined : new Worker(WORKER_SOURCE, { eval: true, workerData: { variant, cells } });
  if (worker !== undefined) await new Promise((resolve) => worker.once('online', resolve));
  // Let the worker settle into its wait before counting.
  await new Promise((resolve) => setTimeout(resolve, 50));
  let answered = 0;
  worker?.on('message', () => answered++);
  const started = process.cpuUsage();
  let n = 0;
  await new Promise<void>((done) => {
    const step = (): void => {
      if (n === iterations) return done();
      Atomics.wait(SLEEP_CELL, 0, 0, sleepMicros / 1000);
      n++;
      if (variant === 'post-one-way' || variant === 'post-round-trip') {
        // A read's bytes, transferred as the host hands them on.
        const bytes = new Uint8Array(4096);
        worker?.postMessage({ type: 'data', id: 1, bytes }, [bytes.buffer]);
      } else if (variant === 'futex-round-trip') {
        Atomics.store(cell, 0, n);
        Atomics.notify(cell, 0);
        Atomics.wait(cell, 1, n - 1);
      }
      setImmediate(step);
    };
    step();
  });
  const used = process.cpuUsage(started);
  if (variant === 'post-round-trip') {
    const deadline = Date.now() + 5000;
    while (answered < iterations && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    if (answered < iterations) throw new Error(`the worker answered ${answered} of ${iterations} messages`);
  }
  if (variant === 'futex-round-trip') {
    Atomics.store(cell, 0, -1);
    Atomics.notify(cell, 0);
  }
  await worker?.terminate();
  return Math.round(((used.user + used.system) / iterations) * 10) / 10;
}

export async function benchWakeCost(iterations = 4000, sleepMicros = 500): Promise<WakeCostResult> {
  const cpu = {} as Record<WakeVariant, number>;
  for (const variant of WAKE_VARIANTS) cpu[variant] = await measure(variant, iterations, sleepMicros);
  return { iterations, sleepMicros, cpuMicrosPerIteration: cpu };
}
