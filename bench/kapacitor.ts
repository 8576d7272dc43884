/**
 * The host under a real Kapacitor: points go in through Kapacitor's HTTP write endpoint and are
 * counted at the task's output (the `collected` count of the node after the one measured, from
 * Kapacitor's task statistics). Each variant is one TICKscript: no UDF, one of our functions,
 * or Kapacitor's built-in node for the same job. The host and kapacitord are separate
 * processes, so the CPU seconds of each are read from /proc/<pid>/stat.
 *
 * In process mode there is no host: Kapacitor starts `kudf serve --stdio` itself for each task
 * (its `prog`/`args` as `kudf functions --conf --process` prints them), and the host's CPU is the
 * sum over those processes, children of kapacitord.
 *
 * Needs the kapacitord that scripts/build-kapacitor.sh builds; without it the cases are skipped
 * with a note. kapacitord runs in a private mount namespace (the test harness's start logic),
 * which needs root.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KAPACITOR_VERSION, Kapacitord } from '../test/helpers/index.js';
import { REPO_ROOT, ServerProcess, procCpuSeconds } from './children.js';

export interface KapacitorVariant {
  name: string;
  /** The TICKscript's node between from() and the counting node ('' for none). */
  node: string;
  /** For one of our functions: the built-in node that does the same job. */
  builtin?: string;
}

/** How Kapacitor reaches our functions: the host's sockets, or a process per task over pipes. */
export type KapacitorUdfMode = 'socket' | 'process';

export const KAPACITOR_VARIANTS: readonly KapacitorVariant[] = [
  { name: 'none', node: '' },
  { name: '@mirror', node: '@mirror()' },
  { name: '@edgeDetect', node: "@edgeDetect().field('state')", builtin: 'changeDetect' },
  { name: 'changeDetect', node: "|changeDetect('state')" },
  { name: '@movingAverage', node: "@movingAverage().field('value').size(10)", builtin: 'movingAverage' },
  { name: 'movingAverage', node: "|movingAverage('value', 10)" },
];

export interface KapacitorRun {
  variant: string;
  tasks: number;
  /** Points per second per task asked for (undefined: as fast as Kapacitor takes them). */
  pacedPerTask: number | undefined;
  pointsIn: number;
  pointsOut: number;
  /** Points written / seconds from the first write to the last point counted at the output. */
  pointsPerSec: number;
  hostCpuSecondsPerMillion: number;
  kapacitordCpuSecondsPerMillion: number;
  error?: string;
}

const GROUPS = 100;
const FLIP = 10;
const LINES_PER_POST = 5000;
const SETTLED_MS = 600;

export function kapacitordBuilt(version = KAPACITOR_VERSION): boolean {
  return existsSync(join(REPO_ROOT, '.cache/kapacitor', version, 'kapacitord'));
}

/** The lines of one task's run: GROUPS series, `value` a float, `state` a string flipping every FLIP points per series. */
function lines(count: number, start: bigint): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const group = i % GROUPS;
    const round = Math.floor(i / GROUPS);
    const state = Math.floor(round / FLIP) % 2 === 0 ? 'up' : 'down';
    const value = 20 + ((group * 7 + round * 13) % 97) / 10;
    out.push(
      `bench,host=h${group.toString().padStart(4, '0')},dsl=vdsl2 value=${value},state="${state}" ${start + BigInt(i) * 1_000_000n}`,
    );
  }
  return out;
}

function script(variant: KapacitorVariant, db: string): string {
  const measured = variant.node === '' ? '' : `\n  ${variant.node}`;
  return `dbrp "${db}"."autogen"\nstream\n  |from().measurement('bench').groupBy('host')${measured}\n  |where(lambda: FALSE)\n`;
}

interface NodeStats {
  collected?: number;
}

/** Points the counting node (the task's last, a where) has collected, and the from node's count. */
async function counts(k: Kapacitord, id: string): Promise<{ in: number; out: number }> {
  const res = await k.api('GET', `/tasks/${encodeURIComponent(id)}`);
  const stats = (res.json as { stats?: { 'node-stats'?: Record<string, NodeStats> } }).stats?.['node-stats'] ?? {};
  let inCount = 0;
  let outCount = 0;
  for (const [name, s] of Object.entries(stats)) {
    if (name.startsWith('from')) inCount = Number(s.collected ?? 0);
    if (name.startsWith('where')) outCount = Number(s.collected ?? 0);
  }
  return { in: inCount, out: outCount };
}

/** Writes one task's lines in posts of LINES_PER_POST, at most `perSec` lines a second when given. */
async function feed(
  k: Kapacitord,
  db: string,
  all: string[],
  perSec: number | undefined,
  startedAt: number,
): Promise<void> {
  for (let pos = 0; pos < all.length; pos += LINES_PER_POST) {
    if (perSec !== undefined) {
      const due = startedAt + (pos / perSec) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await k.write(db, 'autogen', all.slice(pos, pos + LINES_PER_POST));
  }
}

/** One Kapacitor (and, in socket mode, one host) for every run; tasks are defined per run through the API. */
export class KapacitorBench {
  private constructor(
    private readonly host: ServerProcess | undefined,
    private readonly k: Kapacitord,
  ) {}

  static async start(threads: number, mode: KapacitorUdfMode = 'socket'): Promise<KapacitorBench> {
    const udfDir = join(REPO_ROOT, 'docker/udfs');
    if (mode === 'process')
      return new KapacitorBench(undefined, await Kapacitord.start({ tasksDir: null, udfDir, processMode: true }));
    const host = await ServerProcess.host({ threads, udfDir });
    try {
      const k = await Kapacitord.start({ socketDir: host.socketDir, tasksDir: null });
      return new KapacitorBench(host, k);
    } catch (err) {
      await host.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    await this.k.stop();
    await this.host?.stop();
  }

  /**
   * CPU seconds the host has used: the `kudf serve` process, or in process mode every
   * `kudf serve --stdio` kapacitord has running (each started before the run and alive to its end).
   */
  private hostCpuSeconds(kPid: number | undefined): number {
    if (this.host !== undefined) return this.host.cpuSeconds();
    if (kPid === undefined) return Number.NaN;
    return this.k.udfProcesses().reduce((sum, c) => sum + procCpuSeconds(c.pid), 0);
  }

  /** `tasks` tasks of `variant`, each fed `pointsPerTask` points on its own database. */
  async run(
    variant: KapacitorVariant,
    tasks: number,
    pointsPerTask: number,
    pacedPerTask: number | undefined,
  ): Promise<KapacitorRun> {
    const ids = Array.from({ length: tasks }, (_, i) => `bench_${variant.name.replace('@', 'udf_')}_${i}`);
    const dbs = ids.map((_, i) => `bench${i}`);
    try {
      for (const [i, id] of ids.entries()) {
        const err = await this.k.define(id, script(variant, dbs[i] as string), { type: 'stream' });
        if (err !== '') throw new Error(`define ${id}: ${err}`);
      }
      await this.k.waitExecuting(ids);
      const data = lines(pointsPerTask, 1_700_000_000_000_000_000n);
      const kPid = this.k.pid;
      const hostCpu = this.hostCpuSeconds(kPid);
      const kCpu = kPid === undefined ? Number.NaN : procCpuSeconds(kPid);
      const startedAt = performance.now();
      const feeding = Promise.all(dbs.map((db) => feed(this.k, db, data, pacedPerTask, startedAt)));
      // Count at the output until every point is in and the output has stopped growing.
      let last = { in: 0, out: 0 };
      let lastChangeAt = startedAt;
      let fed = false;
      void feeding.then(() => (fed = true));
      for (;;) {
        await new Promise((r) => setTimeout(r, 50));
        const now = await Promise.all(ids.map((id) => counts(this.k, id)));
        const sum = now.reduce((a, c) => ({ in: a.in + c.in, out: a.out + c.out }), { in: 0, out: 0 });
        if (sum.out !== last.out || sum.in !== last.in) lastChangeAt = performance.now();
        last = sum;
        if (fed && sum.in >= pointsPerTask * tasks && performance.now() - lastChangeAt > SETTLED_MS) break;
        if (performance.now() - lastChangeAt > 60_000)
          throw new Error(`no progress for 60 s: ${sum.in} in, ${sum.out} out`);
      }
      await feeding;
      const seconds = (lastChangeAt - startedAt) / 1000;
      const pointsIn = pointsPerTask * tasks;
      const million = pointsIn / 1e6;
      return {
        variant: variant.name,
        tasks,
        pacedPerTask,
        pointsIn,
        pointsOut: last.out,
        pointsPerSec: pointsIn / seconds,
        hostCpuSecondsPerMillion: (this.hostCpuSeconds(kPid) - hostCpu) / million,
        kapacitordCpuSecondsPerMillion: kPid === undefined ? Number.NaN : (procCpuSeconds(kPid) - kCpu) / million,
      };
    } finally {
      for (const id of ids) await this.k.deleteTask(id);
    }
  }
}
