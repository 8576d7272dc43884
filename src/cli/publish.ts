import type { Command } from 'commander';

/** `kudf publish`: not built yet. */
export function registerPublish(program: Command): void {
  program.command('publish').description('(not available yet)').action(() => {
    process.stderr.write('kudf publish: not available yet\n');
    process.exitCode = 2;
  });
}
