import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { UdfDefinition } from '../sdk/index.js';
import { SessionRunner } from './session-runner.js';

export interface StdioSessionOptions {
  def: UdfDefinition;
  input: Readable;
  output: Writable;
  logger: Logger;
  maxFrameBytes: number;
  maxBatchPoints: number;
  maxBatchBytes: number;
}

/**
 * Process mode (Kapacitor's `prog`/`args`): one session over stdin/stdout, on the main thread,
 * since Kapacitor starts a fresh process per task. Resolves once every reply is written.
 */
export function runStdioSession(options: StdioSessionOptions): Promise<'eof' | 'error'> {
  const { input, output } = options;
  const id = 1;
  let waitingForDrain = false;
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
          input.pause();
          output.once('drain', () => {
            waitingForDrain = false;
            input.resume();
          });
        }
        const closed = message.closed;
        if (closed !== undefined) {
          input.pause();
          input.removeAllListeners('data');
          output.end(() => resolve(closed.reason));
        }
      },
    );
    runner.handle({ type: 'open', id, udf: options.def.name });
    // The runner works synchronously, so a chunk is fully processed before the next is read;
    // only a peer that does not read our replies needs pausing (above).
    input.on('data', (chunk: Buffer) => runner.handle({ type: 'data', id, bytes: chunk }));
    input.on('end', () => runner.handle({ type: 'end', id }));
    input.on('error', (err) => {
      options.logger.error({ err: err.message }, 'stdin error');
      runner.handle({ type: 'end', id });
    });
  });
}
