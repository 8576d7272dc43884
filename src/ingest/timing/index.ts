/**
 * Time and retry waits for everything in ingest (poller, writer, transports). Imports nothing,
 * so every ingest folder can use it without a cycle.
 */
export { systemClock, type Clock } from './clock.js';
export {
  backoffDelayMs,
  EQUAL_JITTER,
  RetryBackoff,
  spreadJitter,
  type BackoffPolicy,
  type Jitter,
} from './backoff.js';
