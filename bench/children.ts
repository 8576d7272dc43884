import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from dist/bench/. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const KUDF = join(REPO_ROOT, 'dist/src/cli/main.js');
const ECHO = fileURLToPath(new URL('./echo-server.js', import.meta.url));
export const TEST_UDF_DIR = join(REPO_ROOT, 'test/fixtures/udfs');

// Children still running when the suite dies (an exception, Ctrl-C) are killed on the way out.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});
// A signal's default action ends the process without 'exit' handlers, which would leave the
// servers running: a signal sent to the bench alone (kill, a CI timeout) exits through them.
for (const [signal, number] of [
  ['SIGTERM', 15],
  ['SIGHUP', 1],
] as const) {
  process.once(signal, () => process.exit(128 + number));
}

const builtGoPrograms = new Set<string>();

/**
 * Builds the Go program of bench/<name>/ (no dependencies; the toolchain is the one that builds
 * Kapacitor for the tests) into .cache/bench/<name>, once a process, and returns the binary's
 * path. Throws when Go is missing.
 */
export function buildGoProgram(name: string): string {
  const binary = join(REPO_ROOT, '.cache/bench', name);
  if (!builtGoPrograms.has(name)) {
    mkdirSync(join(REPO_ROOT, '.cache/bench'), { recursive: true });
    execFileSync('go', ['build', '-o', binary, '.'], {
      cwd: join(REPO_ROOT, 'bench', name),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    builtGoPrograms.add(name);
  }
  return binary;
}

/** `BENCH_HOST_ARGS`: more `kudf serve` flags for every host the bench starts, in either mode. */
function hostArgsFromEnv(): string[] {
  return (process.env['BENCH_HOST_ARGS'] ?? '').split(' ').filter((a) => a !== '');
}

/**
 * What Kapacitor's `prog`/`args` start in process mode, one process per task: `kudf serve
 * --stdio <udf>` (as `kudf functions --conf --process` writes it), or the echo server on its
 * stdin and stdout for `udf` 'echo'.
 */
export function processTarget(udf: string): { command: string; args: string[]; cwd: string } {
  const args =
    udf === 'echo' ? [ECHO, '--stdio'] : [KUDF, 'serve', '--stdio', udf, '--log-level', 'info', ...hostArgsFromEnv()];
  return { command: process.execPath, args, cwd: REPO_ROOT };
}

export interface ServerOptions {
  /** `--threads`; 'default' leaves the flag out, as `kudf serve` run with defaults. Default 2. */
  threads?: number | 'default';
  /** Extra node flags placed before the script (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Load the test functions too (burn). */
  testUdfs?: boolean;
  /** Load the functions of this directory too (`--udf-dir`). */
  udfDir?: string;
  /** More `kudf serve` arguments (e.g. `--http 127.0.0.1:0`). */
  extraArgs?: string[];
}

/** Reads one `/proc/<pid>/status` field in bytes (VmRSS, VmHWM); 0 when the process is gone. */
export function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? 0 : Number(m[1]) * 1024;
  } catch {
    return 0;
  }
}

let clockTicks: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat's CPU times (`getconf CLK_TCK`; 100 on Linux). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * CPU seconds (user + system, every thread) a process has used so far, from `/proc/<pid>/stat`;
 * NaN when it is gone. Resolution: one clock tick (10 ms).
 */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the name.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return Number.NaN;
  }
}

/**
 * Read system calls a process has made so far (`syscr` of `/proc/<pid>/io`, every thread); NaN
 * when it is gone. In process mode, reads over the points' part of a run show what a hold
 * gathers: frames written meanwhile come back in one read.
 */
export function procReadCalls(pid: number): number {
  try {
    const match = /^syscr:\s*(\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return match === null ? Number.NaN : Number(match[1]);
  } catch {
    return Number.NaN;
  }
}

/**
 * A server under test in its own process: `kudf serve` on a temp socket directory, or the
 * frame-echo server. Waits for its ready line; `stop()` ends it (SIGTERM, then SIGKILL) and
 * removes the directory.
 */
export class ServerProcess {
  private output = '';
  private peakRss = 0;
  readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly socketDir: string,
  ) {
    live.add(child);
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        live.delete(child);
        resolve(code);
      }),
    );
    const keep = (text: string): void => {
      // Only the start of the output matters (the ready line, or why it failed).
      if (this.output.length < 64 * 1024) this.output += text;
    };
    child.stdout?.setEncoding('utf8').on('data', keep);
    child.stderr?.setEncoding('utf8').on('data', keep);
  }

  static async host(options: ServerOptions = {}): Promise<ServerProcess> {
    const dir = await mkdtemp(join(tmpdir(), 'kudf-bench-'));
    const args = [
      ...(options.nodeArgs ?? []),
      KUDF,
      'serve',
      '--socket-dir',
      dir,
      ...(options.threads === 'default' ? [] : ['--threads', String(options.threads ?? 2)]),
      '--grace',
      '2s',
      '--log-level',
      'info',
      ...hostArgsFromEnv(),
    ];
    if (options.testUdfs === true) args.push('--udf-dir', TEST_UDF_DIR);
    else if (options.udfDir !== undefined) args.push('--udf-dir', options.udfDir);
    if (options.extraArgs !== undefined) args.push(...options.extraArgs);
    return ServerProcess.launch(args, dir, '"host ready"');
  }

  static async echo(options: Pick<ServerOptions, 'nodeArgs'> = {}): Promise<ServerProcess> {
    const dir = await mkdtemp(join(tmpdir(), 'kudf-bench-echo-'));
    return ServerProcess.launch([...(options.nodeArgs ?? []), ECHO, join(dir, 'echo.sock')], dir, 'echo ready');
  }

  /** The URL of the operations endpoints, from the host's log (with `--http`). */
  get opsUrl(): string | undefined {
    return /"url":"(http:\/\/[^"]+)"/.exec(this.output)?.[1];
  }

  private static async launch(args: string[], dir: string, readyMark: string): Promise<ServerProcess> {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: REPO_ROOT });
    const server = new ServerProcess(child, dir);
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 20_000);
      const check = (): void => {
        if (server.output.includes(readyMark)) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout?.on('data', check);
      void server.exited.then(() => {
        clearTimeout(timer);
        resolve(server.output.includes(readyMark));
      });
    });
    if (!ready) {
      await server.stop();
      throw new Error(`server did not become ready:\n${server.output.slice(0, 4000)}`);
    }
    return server;
  }

  socket(udf: string): string {
    return join(this.socketDir, `${udf}.sock`);
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** CPU seconds the server has used so far (all threads). */
  cpuSeconds(): number {
    return procCpuSeconds(this.pid);
  }

  /** Samples VmRSS; the largest sample is kept. */
  sampleRss(): number {
    const rss = procStatusBytes(this.pid, 'VmRSS');
    if (rss > this.peakRss) this.peakRss = rss;
    return rss;
  }

  /** The kernel's high-water mark of resident memory for the whole life of the process. */
  get vmHwm(): number {
    return Math.max(procStatusBytes(this.pid, 'VmHWM'), this.peakRss);
  }

  /** Everything the process printed (truncated to 64 KiB). */
  get log(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
      await this.exited;
      clearTimeout(timer);
    }
    await rm(this.socketDir, { recursive: true, force: true });
  }
}
