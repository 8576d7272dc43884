import type { Command } from 'commander';

/** `kudf parse`: not built yet. */
export function registerParse(program: Command): void {
  program.command('parse').description('(not available yet)').action(() => {
    process.stderr.write('kudf parse: not available yet\n');
    process.exitCode = 2;
  });
}
