/**
 * What a set of figures was measured on: the commit of the code and the machine. Printed by
 * `npm run bench` at the start (JSON) and above the table, so a result can be quoted with both.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, release, totalmem, type } from 'node:os';

export interface Provenance {
  /** `git rev-parse HEAD`, or 'unknown' outside a git checkout. */
  commit: string;
  /** Tracked files differ from the commit: the figures are for uncommitted code. */
  dirty: boolean;
  cores: number;
  cpuModel: string;
  node: string;
  os: string;
  memoryBytes: number;
}

function git(args: string[], cwd: string): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** Reads the commit of the checkout at `cwd` and describes this machine. */
export function provenance(cwd: string = process.cwd()): Provenance {
  const commit = git(['rev-parse', 'HEAD'], cwd);
  const status = commit !== undefined ? git(['status', '--porcelain', '--untracked-files=no'], cwd) : undefined;
  const model = cpus()[0]?.model.trim();
  return {
    commit: commit ?? 'unknown',
    dirty: status !== undefined && status !== '',
    cores: availableParallelism(),
    cpuModel: model !== undefined && model !== '' ? model : 'unknown',
    node: process.version,
    os: `${type()} ${release()}`,
    memoryBytes: totalmem(),
  };
}

/** One line for people: `commit 3ed4774 (uncommitted changes), 2 cores, AMD EPYC, Node v20.20.0, Linux 6.1.0`. */
export function describeProvenance(p: Provenance): string {
  const commit =
    p.commit === 'unknown'
      ? 'commit unknown'
      : `commit ${p.commit.slice(0, 7)}${p.dirty ? ' (uncommitted changes)' : ''}`;
  return `${commit}, ${p.cores} cores, ${p.cpuModel}, Node ${p.node}, ${p.os}, ${(p.memoryBytes / 2 ** 30).toFixed(1)} GiB`;
}
