import { parentPort, workerData } from 'node:worker_threads';
import { CLOCK_CLOSED, CLOCK_IDLE, CLOCK_RUNNING, PERIOD, type HoldClockSetup } from './hold-clock.js';

// The thread behind HoldClock: asleep on the shared slot while it is idle; once the main thread
// sets it running, posts one tick every hold until the main thread sets it idle again. It never
// runs its own event loop: postMessage needs none.
const port = parentPort;
if (port === null) throw new Error('hold-clock-worker must run as a worker thread');
const { state } = workerData as HoldClockSetup;
const slot = new Int32Array(state);
for (;;) {
  Atomics.wait(slot, 0, CLOCK_IDLE);
  const now = Atomics.load(slot, 0);
  if (now === CLOCK_CLOSED) break;
  if (now !== CLOCK_RUNNING) continue;
  // The period is read every tick: the main thread adapts it (HoldClock.adapt).
  Atomics.wait(slot, 0, CLOCK_RUNNING, Atomics.load(slot, PERIOD) / 1000);
  if (Atomics.load(slot, 0) === CLOCK_RUNNING) port.postMessage(0);
}
