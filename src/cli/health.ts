import type { Command } from 'commander';

/** `kudf health`: not built yet. */
export function registerHealth(program: Command): void {
  program.command('health').description('(not available yet)').action(() => {
    process.stderr.write('kudf health: not available yet\n');
    process.exitCode = 2;
  });
}
