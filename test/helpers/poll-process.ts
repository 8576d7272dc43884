/**
 * `kudf poll` as a child process with its JSON log lines collected, the config file it
 * reads, a router that breaks its output off in the middle, and the bookkeeping that ties
 * the poller's own per-poll log lines to the points InfluxDB holds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import { KUDF, REPO_ROOT } from './host-process.js';
import { makeHostKey } from './fake-router.js';

const { Server } = ssh2;

export interface PollLog {
  level: number;
  time: number;
  msg: string;
  [key: string]: unknown;
}

/** Environment without any InfluxDB variable of the developer's shell, so only the config decides the target. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^INFLUX/.test(k)));
  return { ...env, ...extra };
}

export class PollProcess {
  readonly logs: PollLog[] = [];
  /** stderr lines that were not JSON (a crash trace would land here). */
  readonly rawStderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(readonly child: ChildProcess) {
    let pending = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      pending += text;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const raw = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        try {
          this.logs.push(JSON.parse(raw) as PollLog);
        } catch {
          this.rawStderr.push(raw);
        }
      }
    });
    child.stdout?.resume();
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
      }),
    );
  }

  static start(configPath: string, options: { env?: Record<string, string>; logLevel?: string } = {}): PollProcess {
    const child = spawn(
      process.execPath,
      [KUDF, 'poll', '--config', configPath, '--log-level', options.logLevel ?? 'debug'],
      {
        cwd: REPO_ROOT,
        env: cleanEnv(options.env ?? {}),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return new PollProcess(child);
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Every finished poll, from the poller's own `poll done` lines (logged right after its points went to the writer). */
  polls(router?: string): PollLog[] {
    return this.logs.filter((l) => l.msg === 'poll done' && (router === undefined || l['router'] === router));
  }

  /** Waits until `ready()` holds; fails when the process exits first or the bound passes. */
  async waitUntil(what: string, ready: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (!this.running)
        throw new Error(
          `kudf poll exited (${JSON.stringify(this.exitInfo)}) while waiting for ${what}\n${this.tail()}`,
        );
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${this.tail()}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** SIGKILL: no shutdown, no flush, no last log line. */
  async kill(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM and wait for the orderly shutdown; SIGKILL after `graceMs` so a hung child never outlives the test. */
  async stop(graceMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      const info = await this.exited;
      clearTimeout(timer);
      return info;
    }
    return this.exited;
  }

  /** The last log lines, for failure messages. */
  tail(n = 30): string {
    return [...this.logs.slice(-n).map((l) => JSON.stringify(l)), ...this.rawStderr.slice(-10)].join('\n');
  }
}

export interface PollRouterSpec {
  name: string;
  port: number;
  user: string;
  command: string;
  parser?: string;
  auth: { privateKeyFile: string } | { privateKeyEnv: string } | { password: string };
  fingerprint: string;
  /** Login deadline, e.g. `1s` for a router that never answers. */
  connectTimeout?: string;
}

export interface PollConfigSpec {
  routers: readonly PollRouterSpec[];
  /** The InfluxDB the points go to; without it they are printed on stdout as line protocol. */
  influxUrl?: string;
  db?: string;
  queueDir?: string;
  /** Seconds between polls (default 1). */
  intervalS?: number;
  /** Extra writer settings (`retryMaxDelay`, `queueMaxBytes`, ...). */
  influx?: Record<string, string | number | boolean>;
}

/** Writes a poll config (JSON, which the YAML loader reads as well) with jitter off, so the cadence is the interval. */
export function writePollConfig(path: string, spec: PollConfigSpec): void {
  const config = {
    jitter: 0,
    maxBackoff: '2s',
    shutdownTimeout: '5s',
    ...(spec.influxUrl !== undefined
      ? {
          queueDir: spec.queueDir,
          influx: {
            url: spec.influxUrl,
            db: spec.db,
            flushInterval: 100,
            retryMinDelay: 200,
            retryMaxDelay: 1000,
            timeout: 2000,
            ...spec.influx,
          },
        }
      : {}),
    defaults: { interval: spec.intervalS ?? 1, timeout: '5s', connectTimeout: '5s' },
    routers: spec.routers.map((r) => ({
      name: r.name,
      address: '127.0.0.1',
      port: r.port,
      user: r.user,
      command: r.command,
      parser: r.parser ?? 'broadcom',
      auth: r.auth,
      hostKey: { fingerprint: r.fingerprint },
      tags: { site: 'lab' },
      ...(r.connectTimeout !== undefined ? { connectTimeout: r.connectTimeout } : {}),
    })),
  };
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`);
}

/** Poll start times (ms) recovered from `poll done` lines: the line is logged right after the poll, `durationMs` after its start. */
export function pollStartsMs(polls: readonly PollLog[]): number[] {
  return polls.map((p) => p.time - Number(p['durationMs'] ?? 0));
}

export interface PollMatch {
  /** Polls the poller logged that have no point in the database: lost. */
  missing: number[];
  /** Stored times that no logged poll accounts for (a made-up or doubled poll). */
  unexplained: number[];
  /** Stored times that more than one logged poll would claim, or logged polls claimed twice. */
  ambiguous: number;
}

/**
 * Pairs every logged poll with the stored point time nearest to it. The tolerance only has
 * to be well below the poll interval: a poll's point carries its start time to the
 * millisecond, and the log line recovers that start within the logging delay. Two logged polls
 * that start at the same millisecond stay ambiguous (each would claim both points).
 */
export function matchPolls(
  loggedStartsMs: readonly number[],
  storedNs: readonly number[],
  toleranceMs = 300,
): PollMatch {
  const stored = storedNs.map((t) => t / 1e6);
  const claimed = new Map<number, number>();
  const missing: number[] = [];
  let ambiguous = 0;
  // Two polls can start closer together than the tolerance (a restarted poller polls at once,
  // right after the last poll of the one it replaces): each then looks only up to halfway to
  // its neighbour, so the two cannot claim each other's point.
  const sorted = [...loggedStartsMs].sort((a, b) => a - b);
  const reach = (start: number): number => {
    const i = sorted.indexOf(start);
    const before = i > 0 ? start - (sorted[i - 1] as number) : Infinity;
    const after = i < sorted.length - 1 ? (sorted[i + 1] as number) - start : Infinity;
    return Math.min(toleranceMs, before / 2, after / 2);
  };
  for (const start of loggedStartsMs) {
    const tolerance = reach(start);
    const near = stored.map((t, i) => [Math.abs(t - start), i] as const).filter(([d]) => d <= tolerance);
    if (near.length === 0) missing.push(start);
    if (near.length > 1) ambiguous += 1;
    for (const [, i] of near) claimed.set(i, (claimed.get(i) ?? 0) + 1);
  }
  for (const n of claimed.values()) if (n > 1) ambiguous += 1;
  const unexplained = stored.filter((_t, i) => !claimed.has(i));
  return { missing, unexplained, ambiguous };
}

/** How an exec answer of the cutting router ends. */
export type CutPlan =
  /** The whole output, exit status 0. */
  | 'full'
  /** Half the output, then the TCP connection is torn down (no SSH disconnect, no channel close). */
  | 'drop-connection'
  /** Half the output, then the command dies of a signal: exit-signal KILL, channel closed, connection kept. */
  | 'killed-by-signal';

export interface CuttingRouter {
  port: number;
  hostFingerprint: string;
  /** TCP connections that logged in. */
  readonly logins: number;
  /** Exec commands seen. */
  readonly execs: number;
  close(): Promise<void>;
}

/**
 * An SSH router (ssh2 Server on 127.0.0.1, password login) whose exec answers follow `plan(n)`
 * for the n-th command (0-based): the full text, or its first half cut off one of two ways.
 * The cut is on a line boundary, as a buffer flush in a router CLI would leave it.
 */
export async function startCuttingRouter(opts: {
  password: string;
  output: string;
  plan: (n: number) => CutPlan;
}): Promise<CuttingRouter> {
  const key = makeHostKey();
  const lines = opts.output.split('\n');
  const half = `${lines.slice(0, Math.floor(lines.length / 2)).join('\n')}\n`;
  const sockets = new Set<Socket>();
  const clients = new Set<Connection>();
  const state = { logins: 0, execs: 0 };
  const ssh = new Server({ hostKeys: [key.privateKey] }, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => clients.delete(client));
    client.on('authentication', (ctx) =>
      ctx.method === 'password' && ctx.password === opts.password ? ctx.accept() : ctx.reject(['password']),
    );
    client.on('ready', () => {
      state.logins += 1;
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (accept, _reject, _info) => {
          const stream = accept();
          const plan = opts.plan(state.execs);
          state.execs += 1;
          if (plan === 'full') {
            stream.write(opts.output);
            stream.exit(0);
            stream.end();
            return;
          }
          stream.write(half);
          // Let the half reach the client before the cut, so the cut really is mid-output.
          setTimeout(() => {
            if (plan === 'killed-by-signal') {
              stream.exit('KILL', false, '');
              stream.end();
            } else {
              for (const s of sockets) s.destroy();
            }
          }, 100);
        });
      });
    });
  });
  const tcp = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    ssh.injectSocket(sock);
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  return {
    port: (tcp.address() as AddressInfo).port,
    hostFingerprint: key.fingerprint,
    get logins() {
      return state.logins;
    },
    get execs() {
      return state.execs;
    },
    close: async () => {
      for (const c of clients) c.end();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    },
  };
}
