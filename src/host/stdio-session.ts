import { fstatSync } from 'node:fs';
import { Socket, type SocketConstructorOpts } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { UdfDefinition } from '../sdk/index.js';
import { holdReads, releaseReads } from './read-gate.js';
import { SessionRunner } from './session-runner.js';

export interface StdioSessionOptions {
  def: UdfDefinition;
  input: Readable;
  output: Writable;
  logger: Logger;
  maxFrameBytes: number;
  maxBatchPoints: number;
  maxBatchBytes: number;
  /**
   * A read smaller than this many bytes holds the next read until a hold has passed since it
   * came in (0 or absent: never hold). Kapacitor writes each frame with two syscalls; a pipe
   * merges them, so a read after a hold takes every frame that came meanwhile for the cost of
   * one. Only a stdin that is a pipe or a socket is held (a file is read as fast as it goes).
   */
  coalesceReadsBelow?: number;
  /** The hold, in microseconds (0 or absent: no hold). */
  coalesceHoldMicros?: number;
}

/** What the main thread sleeps on during a hold: nothing ever notifies it. */
const HOLD_CELL = new Int32Array(new SharedArrayBuffer(4));

/**
 * Sleeps the main thread. A process-mode session is the only work of its process, so it holds
 * by sleeping after a read rather than by stopping its reads until a clock thread's tick, as
 * socket mode must, where the main thread serves every connection: the clock thread's ticks
 * and the reads' stop and restart cost about a sixth of the host's CPU under Kapacitor's writes
 * (bench/README.md, the levers table).
 */
function sleepMs(ms: number): void {
  Atomics.wait(HOLD_CELL, 0, 0, ms);
}

/** Bytes a hold period must bring, at the stream's recent rate, for a hold to be worth it (about 30 small frames). */
const HOLD_WORTH_BYTES = 4096;
/** Hold periods over which the rate is taken. */
const RATE_WINDOW_HOLDS = 4;

/**
 * The session's stdin. A pipe or a socket gets a stream of its own over fd 0 with a readable
 * high-water mark of 0: `process.stdin` reads up to 16 KiB ahead into its buffer while paused,
 * so a held read would come back as one buffered chunk a hold instead of everything the pipe
 * gathered (measured: 40–60k points/s against 230k+). Anything else (a file, a terminal) is
 * `process.stdin`. Call it once, and never touch `process.stdin` after.
 */
export function sessionStdin(): Readable {
  const stat = fstatSync(0);
  if (!stat.isFIFO() && !stat.isSocket()) return process.stdin;
  // Duplex takes `readableHighWaterMark`; the Socket type declarations leave it out.
  const options: SocketConstructorOpts & { readableHighWaterMark: number } = {
    fd: 0,
    readable: true,
    writable: false,
    readableHighWaterMark: 0,
  };
  return new Socket(options);
}

/**
 * Process mode (Kapacitor's `prog`/`args`): one session over stdin/stdout, on the main thread,
 * since Kapacitor starts a fresh process per task. Resolves once every reply is written.
 */
export function runStdioSession(options: StdioSessionOptions): Promise<'eof' | 'error'> {
  const { input, output } = options;
  const id = 1;
  let waitingForDrain = false;
  let closed = false;
  const holdMicros = options.coalesceHoldMicros ?? 0;
  const holdBelow = input instanceof Socket && holdMicros > 0 ? (options.coalesceReadsBelow ?? 0) : 0;
  // Reads are held only while the stream brings HOLD_WORTH_BYTES or more a hold period: a hold
  // that gathers a few frames does not pay back its wake-up, and with one process a task many
  // such processes share the cores. A pipe holds 64 KiB, several times what a task sends in a
  // hold: the writer never blocks on it.
  const holdMs = holdMicros / 1000;
  let windowStart = performance.now();
  let windowBytes = 0;
  let worthHolding = false;
  // Reads stop while the peer does not take our replies, and go on once it does.
  const stopReading = (): void => {
    if (input instanceof Socket) holdReads(input);
    else input.pause();
  };
  const readAgain = (): void => {
    if (waitingForDrain || closed) return;
    if (input instanceof Socket) releaseReads(input);
    else input.resume();
  };
  /** Whether the read of `bytes` that came in at `now` starts a hold. */
  const startsHold = (bytes: number, now: number): boolean => {
    if (holdBelow === 0) return false;
    windowBytes += bytes;
    // The rate over the last few periods, checked once a few periods.
    if (now - windowStart >= RATE_WINDOW_HOLDS * holdMs) {
      worthHolding = (windowBytes * holdMs) / (now - windowStart) >= HOLD_WORTH_BYTES;
      windowStart = now;
      windowBytes = 0;
    }
    return worthHolding && bytes < holdBelow;
  };
  return new Promise((resolve) => {
    const runner = new SessionRunner(
      new Map([[options.def.name, options.def]]),
      // Kapacitor starts the process for the task and writes Init at once: no Init timeout needed.
      {
        maxFrameBytes: options.maxFrameBytes,
        initTimeoutMs: 0,
        maxBatchPoints: options.maxBatchPoints,
        maxBatchBytes: options.maxBatchBytes,
      },
      options.logger,
      (message) => {
        if (message.type !== 'out') return;
        if (message.bytes !== null && !output.write(message.bytes) && !waitingForDrain) {
          // The peer is not reading: stop reading from it until our replies drain. One listener
          // however many writes of this chunk came back false (a 'drain' follows each such run).
          waitingForDrain = true;
          stopReading();
          output.once('drain', () => {
            waitingForDrain = false;
            readAgain();
          });
        }
        const ended = message.closed;
        if (ended !== undefined) {
          closed = true;
          stopReading();
          input.removeAllListeners('data');
          output.end(() => resolve(ended.reason));
        }
      },
    );
    runner.handle({ type: 'open', id, udf: options.def.name });
    // The runner works synchronously, so a chunk is fully processed before the next is read;
    // reads stop only for a peer that does not read our replies (above) and for a hold.
    input.on('data', (chunk: Buffer) => {
      const now = performance.now();
      const hold = startsHold(chunk.byteLength, now);
      runner.handle({ type: 'data', id, bytes: chunk });
      // The replies to this read are written (stdout is synchronous on a pipe); what comes in
      // meanwhile waits in the pipe for the next read, which takes all of it for the cost of one.
      if (hold && !closed && !waitingForDrain) {
        const left = holdMs - (performance.now() - now);
        if (left > 0) sleepMs(left);
      }
    });
    input.on('end', () => runner.handle({ type: 'end', id }));
    input.on('error', (err) => {
      options.logger.error({ err: err.message }, 'stdin error');
      runner.handle({ type: 'end', id });
    });
  });
}
