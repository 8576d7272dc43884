import type { Command } from 'commander';
import { builtinUdfs } from '../../udfs/index.js';
import { checkFiles, type FilesReport } from '../check/index.js';
import { listUdfDir, loadRegistry } from '../host/index.js';
import type { UdfDefinition } from '../sdk/index.js';

/**
 * Prints `file:line: message [stage]` per problem on stdout, a summary last; returns the exit
 * code. The stage says when Kapacitor finds the problem: `define` (the task is refused; from a
 * load directory kapacitord exits), `start` (the task is defined and fails when its UDF starts),
 * `ignored` (Kapacitor accepts it and it has no effect; exit code 0).
 */
export function printReport(report: FilesReport, write: (text: string) => void): number {
  for (const p of report.problems) write(`${p.file}:${p.line}: ${p.message} [${p.stage}]\n`);
  const scope = `${report.files} file(s), ${report.calls} function call(s)`;
  const refused = report.problems.filter((p) => p.stage === 'define').length;
  const failing = report.problems.filter((p) => p.stage === 'start').length;
  if (refused + failing > 0) {
    const parts = [
      refused > 0 ? `${refused} make Kapacitor refuse the task (from a load directory, kapacitord then exits)` : '',
      failing > 0 ? `${failing} make the task fail when it starts` : '',
    ].filter((p) => p !== '');
    write(`kudf check: ${report.problems.length} problem(s) in ${scope}: ${parts.join('; ')}\n`);
    return 1;
  }
  if (report.problems.length > 0) {
    write(`kudf check: ${scope}, ${report.problems.length} note(s) on text Kapacitor ignores\n`);
    return 0;
  }
  write(`kudf check: ${scope}, no problems\n`);
  return 0;
}

/**
 * `kudf check FILE...`: checks the `@function()` calls of TICKscripts against the built-in
 * functions' declarations (and any extra definitions given, e.g. by a `--udf-dir` loader).
 */
export function registerCheck(program: Command, extraDefinitions: readonly UdfDefinition[] = []): void {
  program
    .command('check')
    .description('check the @function() calls and options of TICKscripts against the functions this host serves')
    .argument('<files...>', 'TICKscript files')
    .option('--udf-dir <dir>', 'also know the functions in this directory (as `kudf serve --udf-dir`)')
    .action(async (files: string[], flags: { udfDir?: string }) => {
      const own = flags.udfDir !== undefined ? [...(await loadRegistry(await listUdfDir(flags.udfDir))).values()] : [];
      const report = await checkFiles(files, [...builtinUdfs, ...extraDefinitions, ...own]);
      process.exitCode = printReport(report, (text) => process.stdout.write(text));
    });
}
