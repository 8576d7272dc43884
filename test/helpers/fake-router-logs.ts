import { Writable } from 'node:stream';
import { createLogger, type Logger, type LogLevel } from '../../src/log/index.js';

/** A pino logger whose JSON lines are kept in memory, so tests can search what was logged. */
export function captureLogger(level: LogLevel = 'trace'): {
  logger: Logger;
  text: () => string;
  lines: () => Array<Record<string, unknown>>;
} {
  let buf = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      buf += chunk.toString('utf8');
      cb();
    },
  });
  const logger = createLogger({ level, stream });
  return {
    logger,
    text: () => buf,
    lines: () =>
      buf
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
