import { readFile } from 'node:fs/promises';
import type { UdfDefinition } from '../sdk/index.js';
import { checkSource, type Problem } from './checker.js';

export interface FilesReport {
  files: number;
  calls: number;
  problems: Problem[];
}

/** Checks TICKscript files; a file that cannot be read is a problem on line 0, not an exception. */
export async function checkFiles(
  paths: readonly string[],
  definitions: readonly UdfDefinition[],
): Promise<FilesReport> {
  const report: FilesReport = { files: 0, calls: 0, problems: [] };
  for (const path of paths) {
    let source: string;
    try {
      source = await readFile(path, 'utf8');
    } catch (err) {
      report.problems.push({
        file: path,
        line: 0,
        message: `cannot read: ${err instanceof Error ? err.message : String(err)}`,
        stage: 'define',
      });
      continue;
    }
    const result = checkSource(source, path, definitions);
    report.files++;
    report.calls += result.calls;
    report.problems.push(...result.problems);
  }
  return report;
}
