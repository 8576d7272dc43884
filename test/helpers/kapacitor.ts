/**
 * A real Kapacitor (`kapacitord`, built from Kapacitor's Go module by
 * scripts/build-kapacitor.sh into .cache/kapacitor/<version>/) on a free loopback port.
 *
 * Kapacitor's source is never copied into this repository: test/kapacitor/<version>/ is a Go
 * module of ours that requires Kapacitor's, and the build fetches it from the module proxy.
 *
 * The config is the sandbox's docker/kapacitor/kapacitor.conf with only addresses, ports and
 * timeouts rewritten, and its [udf] section replaced by what `kudf functions --conf` prints. The
 * sandbox's paths stay as they are: kapacitord runs in a private mount namespace where
 * /var/lib/kapacitor, /var/run/kudf and /etc/kapacitor/load are bind mounts of temp dirs (the
 * socket directory of the `kudf serve` under test, and a load directory whose tasks/ is the
 * repository's tickscripts/). So the TICKscripts run unchanged, alert log paths included, and
 * several Kapacitors run side by side.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GaveUp, startOnFreePort, waitFor } from './free-port.js';
import { REPO_ROOT, KUDF } from './host-process.js';

export const KAPACITOR_VERSION = process.env['KAPACITOR_VERSION'] ?? 'v1.5.9';
export const SANDBOX_CONF = join(REPO_ROOT, 'docker/kapacitor/kapacitor.conf');
export const TICKSCRIPTS = join(REPO_ROOT, 'tickscripts');
export const SANDBOX_UDF_DIR = join(REPO_ROOT, 'docker/udfs');

/** Where the sandbox's containers see things; bind mounts put temp dirs there for kapacitord. */
export const SANDBOX_PATHS = {
  data: '/var/lib/kapacitor',
  sockets: '/var/run/kudf',
  load: '/etc/kapacitor/load',
} as const;

export function kapacitorBin(name: 'kapacitord' | 'kapacitor', version = KAPACITOR_VERSION): string {
  const path = join(REPO_ROOT, '.cache/kapacitor', version, name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run scripts/build-kapacitor.sh ${version}`);
  return path;
}

/** What `kudf functions --conf` prints for the sandbox's socket directory and functions. */
export function udfConfBlocks(opts: { timeout?: string; udfDir?: string; processProg?: string } = {}): string {
  const args = [
    KUDF,
    'functions',
    '--conf',
    '--socket-dir',
    SANDBOX_PATHS.sockets,
    '--udf-dir',
    opts.udfDir ?? SANDBOX_UDF_DIR,
  ];
  if (opts.timeout !== undefined) args.push('--timeout', opts.timeout);
  if (opts.processProg !== undefined) args.push('--process', '--prog', opts.processProg);
  const res = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`kudf functions --conf failed: ${res.stderr}`);
  return res.stdout;
}

export interface ConfRewrite {
  httpPort: number;
  /** InfluxDB's URL; undefined turns the [[influxdb]] section off (data then comes through Kapacitor's write endpoint). */
  influxUrl: string | undefined;
  snapshotInterval: string;
  udfBlocks: string;
}

/**
 * The sandbox config with only addresses, ports and timeouts rewritten and [udf] replaced.
 * Each rewrite must match exactly once, so a change to the sandbox file that this misses fails
 * the suite instead of running Kapacitor on the sandbox's addresses.
 */
export function rewriteSandboxConf(source: string, r: ConfRewrite): string {
  let text = source;
  const once = (pattern: RegExp, replacement: string): void => {
    const matches = text.match(new RegExp(pattern.source, 'gm'));
    if (matches?.length !== 1)
      throw new Error(`kapacitor.conf: expected one match of ${pattern.source}, found ${matches?.length ?? 0}`);
    text = text.replace(new RegExp(pattern.source, 'm'), replacement);
  };
  // InfluxDB sends subscription writes to http://<hostname>:<port>.
  once(/^hostname = ".*"$/, 'hostname = "127.0.0.1"');
  once(/^ {2}bind-address = ".*"$/, `  bind-address = "127.0.0.1:${r.httpPort}"`);
  once(/^ {2}snapshot-interval = ".*"$/, `  snapshot-interval = "${r.snapshotInterval}"`);
  once(/^ {2}startup-timeout = ".*"$/, '  startup-timeout = "30s"');
  once(/^ {2}subscriptions-sync-interval = ".*"$/, '  subscriptions-sync-interval = "1s"');
  if (r.influxUrl === undefined) {
    once(/^ {2}enabled = true\n {2}default = true$/, '  enabled = false\n  default = true');
  } else {
    once(/^ {2}urls = \[.*\]$/, `  urls = ["${r.influxUrl}"]`);
  }
  const udf = text.search(/^\[udf\]$/m);
  if (udf < 0) throw new Error('kapacitor.conf: no [udf] section');
  const after = text.slice(udf + 1).search(/^\[(?!udf[.\]])/m);
  if (after >= 0) throw new Error('kapacitor.conf: [udf] is expected to be the last section');
  return `${text.slice(0, udf)}[udf]\n[udf.functions]\n${r.udfBlocks}`;
}

export interface KapacitordOptions {
  /** The host's socket directory, seen by kapacitord at /var/run/kudf (in process mode, an empty one of its own). */
  socketDir?: string;
  influxUrl?: string;
  /** The tasks/ of the load directory; the repository's tickscripts/ by default, null for none. */
  tasksDir?: string | null;
  snapshotInterval?: string;
  udfTimeout?: string;
  /** The host's --udf-dir, when not the sandbox's: Kapacitor's [udf] names its functions. */
  udfDir?: string;
  /**
   * Process mode: Kapacitor starts a `kudf` of this checkout (see kudfLauncher) as `prog`, with
   * the `args` that `kudf functions --conf --process` prints, once per task and once per function
   * for Info. No `kudf serve` is needed.
   */
  processMode?: boolean;
  version?: string;
}

/**
 * An executable `kudf` in `dir` for Kapacitor's `prog`: the test's own Node.js running this
 * checkout's build, as `npm install -g` would put it on PATH. kapacitord's mount namespace
 * rebinds only the sandbox's paths, so `dir` is visible to it.
 */
function kudfLauncher(dir: string): string {
  const path = join(dir, 'kudf');
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  writeFileSync(path, `#!/bin/sh\nexec ${quote(process.execPath)} ${quote(KUDF)} "$@"\n`, { mode: 0o755 });
  return path;
}

/** A live process whose parent is `ppid` (from /proc), with its arguments. */
export interface ChildOf {
  pid: number;
  /** /proc/<pid>/stat's state: `Z` is a zombie its parent has not waited for. */
  state: string;
  args: string[];
}

/** Every process whose parent is `ppid`, read from /proc (what Kapacitor's process mode started). */
export function childrenOf(ppid: number): ChildOf[] {
  const out: ChildOf[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name is in parentheses and may hold spaces: fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== ppid) continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8')
        .split('\0')
        .filter((a) => a !== '');
      out.push({ pid: Number(entry), state: fields[0] ?? '?', args });
    } catch {
      // The process ended between readdir and read.
    }
  }
  return out;
}

export interface KapacitorTask {
  id: string;
  type: 'stream' | 'batch';
  status: 'enabled' | 'disabled';
  executing: boolean;
  error: string;
  script: string;
  dbrps: Array<{ db: string; rp: string }>;
}

export class Kapacitord {
  private child: ChildProcess | undefined;
  /** Everything kapacitord wrote to stderr (its log, logfmt lines), across restarts. */
  log = '';
  private exitedAt: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly confPath: string,
    private readonly mounts: { data: string; sockets: string; load: string },
    private readonly version: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The sandbox's /var/lib/kapacitor as seen from outside the namespace. */
  get dataDir(): string {
    return this.mounts.data;
  }

  static async start(opts: KapacitordOptions): Promise<Kapacitord> {
    if (process.getuid?.() !== 0)
      throw new Error('the Kapacitor end-to-end suite runs kapacitord in a mount namespace and needs root');
    const version = opts.version ?? KAPACITOR_VERSION;
    kapacitorBin('kapacitord', version);
    const dir = mkdtempSync(join(tmpdir(), 'kudf-kapacitor-'));
    const data = join(dir, 'var-lib-kapacitor');
    const load = join(dir, 'load');
    mkdirSync(data);
    mkdirSync(load);
    if (opts.tasksDir !== null) symlinkSync(opts.tasksDir ?? TICKSCRIPTS, join(load, 'tasks'));
    let sockets = opts.socketDir;
    if (sockets === undefined) {
      if (opts.processMode !== true) throw new Error('Kapacitord.start: a socketDir, or processMode');
      sockets = join(dir, 'no-sockets');
      mkdirSync(sockets);
    }
    const confPath = join(dir, 'kapacitor.conf');
    return startOnFreePort(async (port) => {
      writeFileSync(
        confPath,
        rewriteSandboxConf(readFileSync(SANDBOX_CONF, 'utf8'), {
          httpPort: port,
          influxUrl: opts.influxUrl,
          snapshotInterval: opts.snapshotInterval ?? '60s',
          udfBlocks: udfConfBlocks({
            ...(opts.udfTimeout !== undefined ? { timeout: opts.udfTimeout } : {}),
            ...(opts.udfDir !== undefined ? { udfDir: opts.udfDir } : {}),
            ...(opts.processMode === true ? { processProg: kudfLauncher(dir) } : {}),
          }),
        }),
      );
      const k = new Kapacitord(dir, port, confPath, { data, sockets, load }, version);
      await k.resume();
      return k;
    });
  }

  /** Starts kapacitord (again, on the same port and data); resolves once it answers /ping. */
  async resume(): Promise<void> {
    if (this.child !== undefined) return;
    for (const p of Object.values(SANDBOX_PATHS)) mkdirSync(p, { recursive: true });
    const script =
      'mount --bind "$1" "$4" && mount --bind "$2" "$5" && mount --bind "$3" "$6" && exec "$7" -config "$8"';
    const child = spawn(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        script,
        'sh',
        this.mounts.data,
        this.mounts.sockets,
        this.mounts.load,
        SANDBOX_PATHS.data,
        SANDBOX_PATHS.sockets,
        SANDBOX_PATHS.load,
        kapacitorBin('kapacitord', this.version),
        this.confPath,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child = child;
    child.stderr?.setEncoding('utf8').on('data', (t: string) => (this.log += t));
    let exited = false;
    this.exitedAt = new Promise((resolve) =>
      child.once('exit', () => {
        exited = true;
        resolve();
      }),
    );
    await waitFor(
      `kapacitord on port ${this.port}`,
      async () => {
        if (exited) throw new GaveUp(`kapacitord exited:\n${this.log.slice(-4000)}`);
        const res = await fetch(`${this.url}/kapacitor/v1/ping`);
        return res.status === 204;
      },
      60_000,
      100,
    );
  }

  /** The running kapacitord's pid (unshare and sh exec into it), for its CPU and memory figures. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The `kudf serve --stdio` processes kapacitord has running in process mode (zombies included: it must wait for each). */
  udfProcesses(): ChildOf[] {
    if (this.child?.pid === undefined) throw new Error('kapacitord is not running');
    return childrenOf(this.child.pid).filter((c) => c.args.includes('--stdio'));
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  /** Stops kapacitord with `signal` (SIGTERM: an orderly stop, which snapshots every task). */
  async pause(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.kill(signal);
    await this.exitedAt;
    clearTimeout(kill);
    this.child = undefined;
  }

  /** Sends a signal to the running kapacitord (SIGHUP reloads the load directory). */
  signal(sig: NodeJS.Signals): void {
    if (this.child === undefined) throw new Error('kapacitord is not running');
    this.child.kill(sig);
  }

  async stop(): Promise<void> {
    await this.pause();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Log lines at error level (logfmt `lvl=error`). */
  errorLines(): string[] {
    return this.log.split('\n').filter((l) => /\blvl=error\b/.test(l));
  }

  async api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const init: RequestInit = { method, headers: { 'content-type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const res = await fetch(`${this.url}/kapacitor/v1${path}`, init);
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as unknown) };
  }

  async tasks(): Promise<KapacitorTask[]> {
    const res = await this.api(
      'GET',
      '/tasks?fields=type&fields=status&fields=executing&fields=error&fields=script&fields=dbrps&limit=1000',
    );
    return (res.json as { tasks: KapacitorTask[] }).tasks;
  }

  async task(id: string): Promise<KapacitorTask & { stats?: unknown }> {
    const res = await this.api('GET', `/tasks/${encodeURIComponent(id)}`);
    if (res.status !== 200) throw new Error(`task ${id}: ${res.status} ${JSON.stringify(res.json)}`);
    return res.json as KapacitorTask;
  }

  /** Defines (or redefines, as `kapacitor define` does) a task; resolves with Kapacitor's error message, or ''. */
  async define(
    id: string,
    script: string,
    opts: { type?: 'stream' | 'batch'; status?: 'enabled' | 'disabled'; dbrp?: [string, string] } = {},
  ): Promise<string> {
    const existing = await this.api('GET', `/tasks/${encodeURIComponent(id)}`);
    const body: Record<string, unknown> = { id, script, status: opts.status ?? 'enabled' };
    if (opts.type !== undefined) body['type'] = opts.type;
    if (opts.dbrp !== undefined) body['dbrps'] = [{ db: opts.dbrp[0], rp: opts.dbrp[1] }];
    const res =
      existing.status === 200
        ? await this.api('PATCH', `/tasks/${encodeURIComponent(id)}`, body)
        : await this.api('POST', '/tasks', body);
    if (res.status < 200 || res.status >= 300)
      return (res.json as { error?: string } | undefined)?.error ?? `HTTP ${res.status}`;
    // A PATCH does not restart a running task: it goes on with the old pipeline. `kapacitor define`
    // (cmd/kapacitor) therefore disables and enables an enabled task after updating it; so does this.
    if (existing.status === 200 && body['status'] === 'enabled') {
      for (const status of ['disabled', 'enabled'] as const) {
        const err = await this.setStatus(id, status);
        if (err !== '') return err;
      }
    }
    return '';
  }

  async setStatus(id: string, status: 'enabled' | 'disabled'): Promise<string> {
    const res = await this.api('PATCH', `/tasks/${encodeURIComponent(id)}`, { status });
    return res.status < 300 ? '' : ((res.json as { error?: string } | undefined)?.error ?? `HTTP ${res.status}`);
  }

  async deleteTask(id: string): Promise<void> {
    await this.api('DELETE', `/tasks/${encodeURIComponent(id)}`);
  }

  /** Line protocol through Kapacitor's own write endpoint (stream tasks of that db/rp get it). */
  async write(db: string, rp: string, lines: string[]): Promise<void> {
    const res = await fetch(`${this.url}/kapacitor/v1/write?db=${db}&rp=${rp}&precision=ns`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    if (res.status !== 204) throw new Error(`kapacitor write: ${res.status} ${await res.text()}`);
  }

  /**
   * Runs a batch task's pipeline once over the result of `query` (Kapacitor's replay of a live
   * query, with a fast clock): its outputs write for real. Resolves once the replay finished.
   */
  async replayQuery(task: string, query: string): Promise<void> {
    const res = await this.api('POST', '/replays/query', { task, query, clock: 'fast', 'recording-time': true });
    if (res.status !== 201) throw new Error(`replay of ${task}: ${res.status} ${JSON.stringify(res.json)}`);
    const id = (res.json as { id: string }).id;
    let last: { status: string; error: string } = { status: 'running', error: '' };
    await waitFor(
      `replay of ${task}`,
      async () => (last = (await this.api('GET', `/replays/${id}`)).json as typeof last).status !== 'running',
      30_000,
      100,
    );
    if (last.status !== 'finished' || last.error !== '')
      throw new Error(`replay of ${task}: ${last.status} ${last.error}`);
  }

  /** Waits until every task listed is executing (or throws with the tasks' errors and the log). */
  async waitExecuting(ids: string[], timeoutMs = 30_000): Promise<void> {
    let last: KapacitorTask[] = [];
    await waitFor(
      `tasks ${ids.join(', ')} executing`,
      async () => {
        last = await this.tasks();
        return ids.every((id) => last.some((t) => t.id === id && t.executing));
      },
      timeoutMs,
      100,
    ).catch((err: unknown) => {
      throw new Error(
        `${(err as Error).message}: ${JSON.stringify(last.map((t) => ({ id: t.id, executing: t.executing, error: t.error })))}\n${this.log.slice(-3000)}`,
      );
    });
  }
}
