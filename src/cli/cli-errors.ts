import { CommanderError } from 'commander';

/** Exit codes every command shares (docs/errors.md). Commands add their own above these where documented. */
export const EXIT = {
  ok: 0,
  /** Something failed while running: a socket in use, a database away, a poll that failed. */
  runtime: 1,
  /** The command line, an environment variable or a config file is wrong: nothing was done. */
  usage: 2,
} as const;

/**
 * Codes of errors in what the user gave (flags, environment, files named by flags): these exit
 * with {@link EXIT.usage}. Every other code is a runtime failure.
 */
const USAGE_CODES = new Set([
  'KUDF_USAGE',
  'KUDF_HOST_UNKNOWN_FUNCTION',
  'KUDF_UDF_DIR',
  'KUDF_UDF_LOAD_FAILED',
  'KUDF_UDF_BAD_EXPORT',
  'KUDF_UDF_LOAD_TIMEOUT',
  'KUDF_UDF_EXIT_AT_LOAD',
  'KUDF_UDF_BAD_DEFINITION',
  'KUDF_SOCKET_PATH_TOO_LONG',
  'KUDF_PROBE_BAD_OPTION_ARG',
  'KUDF_TICK_BAD_DURATION',
  'KUDF_POLL_CONFIG_INVALID',
  'KUDF_INFLUX_SETTING_MISSING',
  'KUDF_INFLUX_SETTING_INVALID',
  'KUDF_INFLUX_SETTING_UNREADABLE',
  'KUDF_INFLUX_SETTING_CONFLICT',
  'KUDF_METRICS_BAD_ADDRESS',
  'KUDF_RECOVERY_BAD_URL',
  'KUDF_RECOVERY_CREDENTIALS',
  'KUDF_RECOVERY_STATE',
]);

/** The exit code of an error with this code. */
export function exitCodeOf(code: string): number {
  return USAGE_CODES.has(code) ? EXIT.usage : EXIT.runtime;
}

/**
 * An error that has already been reported (e.g. as the host's fatal log line): the CLI's handler
 * adds only its one stderr line and the exit code.
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: number = exitCodeOf(code),
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** What the CLI prints for an error and the code it exits with; `debug` adds the stack. */
export function describeFailure(command: string, err: unknown, debug: boolean): { text: string; exitCode: number } {
  if (err instanceof CommanderError) {
    // Help and --version end with a CommanderError too, exit code 0.
    if (err.exitCode === 0) return { text: '', exitCode: EXIT.ok };
    const message = err.message.replace(/^error: /, '');
    return { text: `${prefix(command)}: ${message} (KUDF_USAGE)\n`, exitCode: EXIT.usage };
  }
  const e: Error & { code?: unknown } = err instanceof Error ? err : new Error(String(err));
  const code = typeof e.code === 'string' && e.code.startsWith('KUDF_') ? e.code : 'KUDF_INTERNAL';
  const exitCode = err instanceof CliError ? err.exitCode : exitCodeOf(code);
  const stack = debug && e.stack !== undefined ? `${e.stack}\n` : '';
  return { text: `${prefix(command)}: ${e.message} (${code})\n${stack}`, exitCode };
}

function prefix(command: string): string {
  return command === 'kudf' ? 'kudf' : `kudf ${command}`;
}
