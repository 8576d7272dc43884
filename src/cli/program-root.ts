import { Command } from 'commander';
import { VERSION } from './version.js';

/** The `kudf` command itself, before any subcommand is registered. */
export function rootCommand(): Command {
  return new Command('kudf')
    .description('Kapacitor UDF host, its Kapacitor-side probe, and a DSL router poller')
    .version(VERSION);
}

/**
 * Every command throws its usage errors instead of printing them and exiting, so that main's one
 * handler reports them like any other error (help and --version still print as usual).
 */
export function reportThroughMain(command: Command): void {
  command.exitOverride().configureOutput({ outputError: () => undefined });
  for (const sub of command.commands) reportThroughMain(sub);
}
