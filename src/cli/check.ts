import type { Command } from 'commander';

/** `kudf check`: not built yet. */
export function registerCheck(program: Command): void {
  program.command('check').description('(not available yet)').action(() => {
    process.stderr.write('kudf check: not available yet\n');
    process.exitCode = 2;
  });
}
