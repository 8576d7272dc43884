
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
    .version(VERSION)
    .showHelpAfterError();
  registerServe(program);
  registerProbe(program);
  registerFunctions(program);
  registerHealth(program);
  registerReload(program);
  registerCheck(program);
  registerPoll(program);
  registerParse(program);
  registerPublish(program);
  return program;
}


