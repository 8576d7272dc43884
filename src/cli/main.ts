#!/usr/bin/env node
import { describeFailure } from './cli-errors.js';

// `kudf serve` builds a program of that command only (see serve-program.ts); every other
// invocation, `kudf --help` included, the whole one.
const program =
  process.argv[2] === 'serve'
    ? (await import('./serve-program.js')).buildServeProgram()
    : (await import('./program.js')).buildProgram();
// One handler for every command's failure: `kudf <command>: <message> (KUDF_...)` on stderr and
// the documented exit code; the stack only at --log-level debug or trace (or KUDF_LOG_LEVEL).
try {
  await program.parseAsync(process.argv);
} catch (err) {
  const command = program.commands.find((c) => process.argv.slice(2).includes(c.name()))?.name() ?? 'kudf';
  const flagged = process.argv.filter((a, i) => a.startsWith('--log-level=') || process.argv[i - 1] === '--log-level');
  const level = flagged.at(-1)?.replace(/^--log-level=/, '') ?? process.env['KUDF_LOG_LEVEL'];
  const debug = level === 'debug' || level === 'trace';
  const { text, exitCode } = describeFailure(command, err, debug);
  process.stderr.write(text);
  // Timers, sockets or workers a failed start left behind must not keep the process up.
  process.exit(exitCode);
}
