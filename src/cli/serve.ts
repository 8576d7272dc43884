import type { Command } from 'commander';

/** `kudf serve`: not built yet. */
export function registerServe(program: Command): void {
  program.command('serve').description('(not available yet)').action(() => {
    process.stderr.write('kudf serve: not available yet\n');
    process.exitCode = 2;
  });
}
