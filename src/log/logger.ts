import { createRequire } from 'node:module';
import { isatty } from 'node:tty';
import { pino, type Logger, type DestinationStream } from 'pino';
import type PinoPretty from 'pino-pretty';

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

/** `json`: one JSON line per event, for machines and containers. `pretty`: pino-pretty's form, for a person at a terminal. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Pretty when the log's file descriptor is a terminal; JSON into pipes, files and containers started without a TTY. */
export function defaultLogFormat(fd: 1 | 2): LogFormat {
  return isatty(fd) ? 'pretty' : 'json';
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Default: {@link defaultLogFormat} of `fd`; JSON when a `stream` is given. */
  format?: LogFormat;
  /** File descriptor to write JSON lines to: 1 (stdout, default) or 2 (stderr, for process mode). */
  fd?: 1 | 2;
  /** A stream to write to instead of a file descriptor (tests capture logs this way). */
  stream?: DestinationStream;
  name?: string;
}

/** The one way every part of the product makes its pino logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const fd = options.fd ?? 1;
  const format = options.format ?? (options.stream !== undefined ? 'json' : defaultLogFormat(fd));
  const raw = options.stream ?? pino.destination({ fd, sync: true });
  const destination = format === 'pretty' ? prettyDestination(raw, options.stream === undefined && isatty(fd)) : raw;
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

/**
 * pino-pretty's formatter in front of a destination, in the same thread and synchronously, so
 * that the last lines before an exit are not lost in a transport. Colours only on a terminal,
 * and never with NO_COLOR set (https://no-color.org).
 */
function prettyDestination(out: DestinationStream, terminal: boolean): DestinationStream {
  // Loaded only when asked for: JSON logging (containers, pipes) starts without it.
  const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  const prettify = prettyFactory({
    colorize: terminal && process.env['NO_COLOR'] === undefined,
    translateTime: 'SYS:standard',
    ignore: 'pid,hostname',
    singleLine: true,
  });
  return { write: (line: string) => out.write(prettify(line)) };
}
