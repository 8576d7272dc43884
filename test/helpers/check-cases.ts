/**
 * The TICKscripts of test/fixtures/tickscripts/, what `kudf check` says of each, and what a real
 * Kapacitor said when each was defined (recorded in verdicts.json by the end-to-end test
 * check-vs-define, which fails when Kapacitor says something else). docs/kapacitor.md shows them
 * as a table rendered from the same data.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinUdfs } from '../../udfs/index.js';
import { checkFiles } from '../../src/check/index.js';
import { printReport } from '../../src/cli/internal.js';
import { listUdfDir, loadRegistry } from '../../src/host/index.js';
import type { UdfDefinition } from '../../src/sdk/index.js';
import { KUDF, REPO_ROOT } from './host-process.js';
import { SANDBOX_UDF_DIR } from './kapacitor.js';

export const CASES_DIR = join(REPO_ROOT, 'test/fixtures/tickscripts');
export const VERDICTS = join(CASES_DIR, 'verdicts.json');
export { SANDBOX_UDF_DIR };
export const DOC = join(REPO_ROOT, 'docs/kapacitor.md');
const BEGIN = '<!-- check-vs-define table: generated from test/fixtures/tickscripts/verdicts.json -->';
const END = '<!-- end of check-vs-define table -->';

/** `define`: refused when defined (or enabled); `start`: defined, then fails at UDF Init; `ok`: runs. */
export type Verdict = 'define' | 'start' | 'ok';

export interface KudfVerdict {
  verdict: Verdict;
  exitCode: number;
  /** Each problem as `line: message [stage]`. */
  problems: string[];
}

export interface CaseVerdicts {
  kudf: KudfVerdict;
  kapacitor: { verdict: Verdict; message: string };
}

export function caseFiles(): string[] {
  return readdirSync(CASES_DIR)
    .filter((f) => f.endsWith('.tick'))
    .sort();
}

/** The verdict a case's name promises: good-* runs, start-* fails at start, bad-* is refused. */
export function expectedVerdict(file: string): Verdict {
  return file.startsWith('good-') ? 'ok' : file.startsWith('start-') ? 'start' : 'define';
}

/** Runs `kudf check --udf-dir docker/udfs` on one case, as a user would. */
export function runKudfCheck(file: string): KudfVerdict {
  const path = join(CASES_DIR, file);
  const res = spawnSync(process.execPath, [KUDF, 'check', '--udf-dir', SANDBOX_UDF_DIR, path], { encoding: 'utf8' });
  return verdictOf(path, res.stdout, res.status ?? -1);
}

let definitions: Promise<UdfDefinition[]> | undefined;

/** The same check in this process (the command's own report printer), for the fast suite. */
export async function kudfCheckInProcess(file: string): Promise<KudfVerdict> {
  definitions ??= listUdfDir(SANDBOX_UDF_DIR).then(async (urls) => [
    ...builtinUdfs,
    ...(await loadRegistry(urls)).values(),
  ]);
  const path = join(CASES_DIR, file);
  let out = '';
  const code = printReport(await checkFiles([path], await definitions), (t) => (out += t));
  return verdictOf(path, out, code);
}

function verdictOf(path: string, stdout: string, exitCode: number): KudfVerdict {
  const problems = stdout
    .split('\n')
    .filter((l) => l.startsWith(`${path}:`))
    .map((l) => l.slice(path.length + 1));
  const stages = problems.map((p) => /\[(define|start|ignored)\]$/.exec(p)?.[1]);
  const verdict: Verdict = stages.includes('define') ? 'define' : stages.includes('start') ? 'start' : 'ok';
  return { verdict, exitCode, problems };
}

export function readVerdicts(): Record<string, CaseVerdicts> {
  return JSON.parse(readFileSync(VERDICTS, 'utf8')) as Record<string, CaseVerdicts>;
}

export function writeVerdicts(v: Record<string, CaseVerdicts>): void {
  const sorted = Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)));
  writeFileSync(VERDICTS, `${JSON.stringify(sorted, null, 2)}\n`);
}

const VERDICT_TEXT: Readonly<Record<Verdict, string>> = { define: 'refused', start: 'fails at start', ok: 'runs' };
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The docs table: one row per case with both verdicts and both messages. */
export function renderTable(v: Record<string, CaseVerdicts>): string {
  const rows = Object.entries(v)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([file, c]) => {
      const kudf =
        c.kudf.problems.length === 0 ? 'no problems' : c.kudf.problems.map((p) => `\`${cell(p)}\``).join('<br>');
      const kap =
        c.kapacitor.message === ''
          ? c.kapacitor.verdict === 'ok'
            ? 'defined, executing'
            : ''
          : `\`${cell(c.kapacitor.message)}\``;
      return `| [${file}](../test/fixtures/tickscripts/${file}) | ${VERDICT_TEXT[c.kudf.verdict]} | ${kudf} | ${VERDICT_TEXT[c.kapacitor.verdict]} | ${kap} |`;
    });
  return [
    BEGIN,
    '| TICKscript | kudf check | its message | Kapacitor 1.5.9 | its message |',
    '|---|---|---|---|---|',
    ...rows,
    END,
  ].join('\n');
}

/** The table as it stands in docs/kapacitor.md (between its markers), or undefined. */
export function tableInDoc(): string | undefined {
  const text = readFileSync(DOC, 'utf8');
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  return a < 0 || b < 0 ? undefined : text.slice(a, b + END.length);
}

/** Replaces the table in docs/kapacitor.md (used when verdicts are re-recorded). */
export function writeTableToDoc(table: string): void {
  const text = readFileSync(DOC, 'utf8');
  const current = tableInDoc();
  if (current === undefined) throw new Error(`${DOC}: no check-vs-define table markers`);
  writeFileSync(DOC, text.replace(current, table));
}
