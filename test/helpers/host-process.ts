import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from dist/test/helpers/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const KUDF = join(REPO_ROOT, 'dist/src/cli/main.js');
export const TEST_UDF_DIR = join(REPO_ROOT, 'test/fixtures/udfs');

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A `kudf serve` child process on a temp socket directory, with its JSON log lines collected. */
export class HostProcess {
  readonly logs: LogLine[] = [];
  stderr = '';
  private waiters: Array<{ test: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly socketDir: string,
    private readonly ownsDir: boolean,
  ) {
    let pending = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      pending += text;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const raw = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let line: LogLine;
        try {
          line = JSON.parse(raw) as LogLine;
        } catch {
          line = { level: 0, msg: raw };
        }
        this.logs.push(line);
        this.waiters = this.waiters.filter((w) => {
          if (!w.test(line)) return true;
          w.resolve(line);
          return false;
        });
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** Starts `kudf serve` with extra arguments and waits for 'host ready' (or the process to exit). */
  static async start(
    args: string[] = [],
    options: {
      socketDir?: string;
      env?: NodeJS.ProcessEnv;
      udfDir?: string;
      uid?: number;
      gid?: number;
      fdLimit?: { soft: number; hard: number };
    } = {},
  ): Promise<HostProcess> {
    const socketDir = options.socketDir ?? (await mkdtemp(join(tmpdir(), 'kudf-test-')));
    const argv = [KUDF, 'serve', '--socket-dir', socketDir, '--udf-dir', options.udfDir ?? TEST_UDF_DIR, ...args];
    // With an open-file limit set through the shell's ulimit (soft first: it must stay under the hard one).
    const [cmd, cmdArgs] =
      options.fdLimit === undefined
        ? [process.execPath, argv]
        : [
            '/bin/sh',
            [
              '-c',
              'h=$0; s=$1; shift; ulimit -Sn "$s" && ulimit -Hn "$h" && exec "$@"',
              String(options.fdLimit.hard),
              String(options.fdLimit.soft),
              process.execPath,
              ...argv,
            ],
          ];
    const child = spawn(cmd, cmdArgs, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      ...(options.uid !== undefined ? { uid: options.uid } : {}),
      ...(options.gid !== undefined ? { gid: options.gid } : {}),
    });
    const host = new HostProcess(child, socketDir, options.socketDir === undefined);
    const ready = host.waitForLog((l) => l.msg === 'host ready');
    const outcome = await Promise.race([ready.then(() => 'ready' as const), host.exited.then(() => 'exited' as const)]);
    if (outcome === 'exited')
      throw new Error(
        `kudf serve exited before it was ready:\n${host.logs.map((l) => JSON.stringify(l)).join('\n')}\n${host.stderr}`,
      );
    return host;
  }

  socket(udf: string): string {
    return join(this.socketDir, `${udf}.sock`);
  }

  waitForLog(test: (line: LogLine) => boolean): Promise<LogLine> {
    const found = this.logs.find(test);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  /** SIGTERM, wait for exit, remove the temp directory. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    const code = await this.exited;
    if (this.ownsDir) await rm(this.socketDir, { recursive: true, force: true });
    return code;
  }

  /** Resident memory of the host process in bytes (from /proc). */
  async rssBytes(): Promise<number> {
    const { readFile } = await import('node:fs/promises');
    const status = await readFile(`/proc/${this.child.pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return m === null ? 0 : Number(m[1]) * 1024;
  }
}
