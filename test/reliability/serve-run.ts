import { spawn } from 'node:child_process';
import { KUDF } from '../helpers/index.js';

export interface ServeRun {
  code: number | null;
  /** stdout and stderr together. */
  out: string;
  /** The JSON log lines of stdout. */
  lines: Array<Record<string, unknown>>;
  /** Whether the process had to be killed at the deadline. */
  killed: boolean;
}

/** Runs `kudf serve` with `args` until it exits, or kills it after `deadlineMs`. */
export function runServe(args: string[], deadlineMs = 15_000): Promise<ServeRun> {
  const child = spawn(process.execPath, [KUDF, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let killed = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, deadlineMs);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      const lines = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, out: stdout + stderr, lines, killed });
    }),
  );
}

/** The one fatal line of a failed start, asserting there is exactly one and no stack trace. */
export function fatalLine(run: ServeRun): Record<string, unknown> {
  const fatal = run.lines.filter((l) => l['level'] === 60);
  if (fatal.length !== 1) throw new Error(`expected one fatal line, got ${fatal.length}:\n${run.out}`);
  if (/\n\s+at .+:\d+:\d+/.test(run.out)) throw new Error(`a stack trace was printed:\n${run.out}`);
  return fatal[0] as Record<string, unknown>;
}
