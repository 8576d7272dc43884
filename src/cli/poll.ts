import type { Command } from 'commander';

/** `kudf poll`: not built yet. */
export function registerPoll(program: Command): void {
  program.command('poll').description('(not available yet)').action(() => {
    process.stderr.write('kudf poll: not available yet\n');
    process.exitCode = 2;
  });
}
