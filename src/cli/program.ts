import type { Command } from 'commander';
import { registerServe } from './serve.js';
import { registerProbe } from './probe.js';
import { registerFunctions } from './functions.js';
import { registerHealth } from './health.js';
import { registerCheck } from './check.js';
import { registerPoll } from './poll.js';
import { registerParse } from './parse.js';
import { registerPublish } from './publish.js';
import { registerReload } from './reload.js';
import { reportThroughMain, rootCommand } from './program-root.js';

/** Builds the `kudf` program; one file per subcommand registers itself. */
export function buildProgram(): Command {
  const program = rootCommand();
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
