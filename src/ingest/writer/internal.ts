/**
 * The writer's second door: the queue, the dead-letter file, the transports' outcome rules and the
 * redaction behind `createWriter`, for the writer's tests (test/) and the queue benchmark
 * (bench/). Nothing in src/ imports it; the lint (.dependency-cruiser.mjs) holds it to those importers.
 */
export { DeadLetterFile, type DeadLetterEntry } from './dead-letter.js';
export { DurableQueue, type QueueBatch } from './durable-queue.js';
export { outcomeForStatus, parseRetryAfter, type SendOutcome } from './outcome.js';
export { QueuedWriter } from './queued-writer.js';
export { secretScrubber } from './redact.js';
export { toPrecision, type WriteTransport } from './transport.js';
