import { Command } from 'commander';
import { registerServe } from './serve.js';
import { registerProbe } from './probe.js';
import { registerFunctions } from './functions.js';
import { registerHealth } from './health.js';
import { registerCheck } from './check.js';
import { registerPoll } from './poll.js';
import { registerParse } from './parse.js';
import { registerPublish } from './publish.js';
import { registerReload } from './reload.js';
import { VERSION } from './version.js';

/** Builds the `kudf` program; one file per subcommand registers itself. */
export function buildProgram(): Command {
  const program = new Command('kudf')
    .description('Kapacitor UDF host, its Kapacitor-side probe, and a DSL router poller')
    .version(VERSION);
  registerServe(program);
  registerProbe(program);
  registerFunctions(program);
  registerHealth(program);
  registerReload(program);
  registerCheck(program);
  registerPoll(program);
  registerParse(program);
  registerPublish(program);
  reportThroughMain(program);
  return program;
}

/**
 * Every command throws its usage errors instead of printing them and exiting, so that main's one
 * handler reports them like any other error (help and --version still print as usual).
 */
function reportThroughMain(command: Command): void {
  command.exitOverride().configureOutput({ outputError: () => undefined });
  for (const sub of command.commands) reportThroughMain(sub);
}
