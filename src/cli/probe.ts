import type { Command } from 'commander';

/** `kudf probe`: not built yet. */
export function registerProbe(program: Command): void {
  program.command('probe').description('(not available yet)').action(() => {
    process.stderr.write('kudf probe: not available yet\n');
    process.exitCode = 2;
  });
}
