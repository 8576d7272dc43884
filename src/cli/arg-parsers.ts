import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option } from 'commander';
import {
  formatDurationMs,
  formatFileMode,
  formatSizeBytes,
  parseDurationMs,
  parseFileMode,
  parseSizeBytes,
  type DurationRule,
  type SizeRule,
} from '../config-grammar/index.js';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../log/index.js';
import { parseHttpAddress, type HttpAddress } from '../metrics/internal.js';

/** commander value parsers: each throws InvalidArgumentError with a message naming what was expected. */
export function intArg(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected a whole number, got '${value}'`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`expected ${min}..${max}, got ${n}`);
    return n;
  };
}

/** The grammar's message as commander's, which puts the flag or the variable in front of it. */
function viaCommander<T>(parse: (value: string) => T): (value: string) => T {
  return (value) => {
    try {
      return parse(value);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}

/** Where an option may also be set and what it defaults to; --help shows the default as a user writes it. */
interface OptionSetup<T> {
  default?: T;
  /** An environment variable read when the flag is absent (commander names it in its errors). */
  env?: string;
}

function withSetup<T>(option: Option, setup: OptionSetup<T>, format: (value: T) => string): Option {
  if (setup.default !== undefined) option.default(setup.default, JSON.stringify(format(setup.default)));
  if (setup.env !== undefined) option.env(setup.env);
  return option;
}

/** A duration (`10s`, `500ms`, `1m30s`) in milliseconds; on the command line a bare number is milliseconds. */
export function durationMsArg(rule: Omit<DurationRule, 'bare'> = {}): (value: string) => number {
  return viaCommander((value) => parseDurationMs(value, { ...rule, bare: 'ms' }));
}

export function durationOption(
  flags: string,
  description: string,
  setup: OptionSetup<number> & Omit<DurationRule, 'bare'> = {},
): Option {
  const { default: _d, env: _e, ...rule } = setup;
  return withSetup(new Option(flags, description).argParser(durationMsArg(rule)), setup, formatDurationMs);
}

/** A size in bytes (`512`, `64KiB`, `64MiB`). */
export function sizeOption(flags: string, description: string, setup: OptionSetup<number> & SizeRule = {}): Option {
  const { default: _d, env: _e, ...rule } = setup;
  const parse = viaCommander((value) => parseSizeBytes(value, rule));
  return withSetup(new Option(flags, description).argParser(parse), setup, formatSizeBytes);
}

/** An octal file mode (`666`, `0660`, `0o755`). */
export function modeOption(flags: string, description: string, setup: OptionSetup<number> = {}): Option {
  return withSetup(new Option(flags, description).argParser(viaCommander(parseFileMode)), setup, formatFileMode);
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

/** `--log-level` of the commands that log, also read from KUDF_LOG_LEVEL; an unknown level is an error. */
export function logLevelOption(description = `${LOG_LEVELS.join(', ')}`): Option {
  return new Option('--log-level <level>', description).argParser(logLevelArg).default('info').env('KUDF_LOG_LEVEL');
}

/** `--log-format`, also read from KUDF_LOG_FORMAT. */
export function logFormatOption(): Option {
  return new Option('--log-format <format>', LOG_FORMAT_HELP).argParser(logFormatArg).env('KUDF_LOG_FORMAT');
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
