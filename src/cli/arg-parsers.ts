import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../log/index.js';
import { parseHttpAddress, type HttpAddress } from '../metrics/index.js';
import { parseDuration } from '../tickscript/index.js';

/** commander value parsers: each throws InvalidArgumentError with a message naming what was expected. */
export function intArg(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected a whole number, got '${value}'`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected ${min}..${max}, got ${n}`);
    return n;
  };
}

/** A duration such as `10s` or `500ms`, in milliseconds. */
export function durationMsArg(value: string): number {
  try {
    return Number(parseDuration(value) / 1_000_000n);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** An octal file mode such as `660` or `0o660`. */
export function modeArg(value: string): number {
  const digits = value.replace(/^0o/, '');
  if (!/^[0-7]{3,4}$/.test(digits))
    throw new InvalidArgumentError(`expected an octal mode such as 660, got '${value}'`);
  return parseInt(digits, 8);
}

/** A group id, or a group name looked up in /etc/group. */
export function groupArg(value: string): number {
  if (/^\d+$/.test(value)) return Number(value);
  let table = '';
  try {
    table = readFileSync('/etc/group', 'utf8');
  } catch {
    throw new InvalidArgumentError(`cannot read /etc/group to look up group '${value}'; give a numeric gid`);
  }
  for (const line of table.split('\n')) {
    const [name, , gid] = line.split(':');
    if (name === value && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new InvalidArgumentError(`no group named '${value}' in /etc/group; give a numeric gid`);
}

export function logFormatArg(value: string): LogFormat {
  if (!(LOG_FORMATS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${LOG_FORMATS.join(', ')}`);
  return value as LogFormat;
}

/** Help of the --log-format flag every command that logs shares: JSON lines unless a person is watching. */
export const LOG_FORMAT_HELP = 'json or pretty (default: pretty when the log goes to a terminal, else json)';

export function logLevelArg(value: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${LOG_LEVELS.join(', ')}`);
  return value as LogLevel;
}

/** Default socket directory: $KUDF_SOCKET_DIR, else /tmp/kudf (writable by anyone starting the host by hand). */
export function defaultSocketDir(): string {
  return process.env['KUDF_SOCKET_DIR'] ?? '/tmp/kudf';
}

/** `--http PORT` (loopback) or `--http HOST:PORT`. */
export function httpAddressArg(value: string): HttpAddress {
  try {
    return parseHttpAddress(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}
