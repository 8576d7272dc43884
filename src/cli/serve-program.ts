import type { Command } from 'commander';
import { registerServe } from './serve.js';
import { reportThroughMain, rootCommand } from './program-root.js';

/**
 * `kudf` with `serve` alone, for `kudf serve ...`: the other commands' code (the poller and its
 * SSH and InfluxDB clients, the TICKscript checker, the probe, the publisher) is never loaded
 * into the host, which runs for months. `kudf serve --help` reads the same.
 */
export function buildServeProgram(): Command {
  const program = rootCommand();
  registerServe(program);
  reportThroughMain(program);
  return program;
}
