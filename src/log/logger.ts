import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Paths pino blanks in every log line, wherever a secret could travel: router and InfluxDB
 * passwords, tokens, private keys and their passphrases, also nested one or two levels down.
 */
export const REDACT_PATHS = [
  'password',
  'token',
  'passphrase',
  'privateKey',
  'authorization',
  '*.password',
  '*.token',
  '*.passphrase',
  '*.privateKey',
  '*.authorization',
  '*.*.password',
  '*.*.token',
  '*.*.passphrase',
  '*.*.privateKey',
  '*.*.authorization',
  'headers.Authorization',
  '*.headers.Authorization',
];

export interface LoggerOptions {
  level?: LogLevel;
  /** File descriptor to write JSON lines to: 1 (stdout, default) or 2 (stderr, for process mode). */
  fd?: 1 | 2;
  /** A stream to write to instead of a file descriptor (tests capture logs this way). */
  stream?: DestinationStream;
  name?: string;
}

/** The one way every part of the product makes its pino logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.stream ?? pino.destination({ fd: options.fd ?? 1, sync: true });
  return pino(
    {
      name: options.name ?? 'kudf',
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
    },
    destination,
  );
}
