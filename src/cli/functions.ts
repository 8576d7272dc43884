import type { Command } from 'commander';

/** `kudf functions`: not built yet. */
export function registerFunctions(program: Command): void {
  program.command('functions').description('(not available yet)').action(() => {
    process.stderr.write('kudf functions: not available yet\n');
    process.exitCode = 2;
  });
}
