/**
 * A real `influxd` (Debian's 1.6.7) on a free loopback port, with its own temp dir. It can
 * be stopped and started again on the same port and data, to stage an outage.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, GaveUp, startOnFreePort, waitFor } from './free-port.js';
import { stopChild } from './child-process.js';

export const INFLUXD_BIN = process.env['INFLUXD_BIN'] ?? '/usr/bin/influxd';

export interface InfluxdOptions {
  /** Turns on authentication and creates this admin user. */
  admin?: { user: string; password: string };
  /** Turns on the subscriber service, so that a Kapacitor can subscribe to the writes. */
  subscriber?: boolean;
}

export interface QuerySeries {
  name: string;
  columns: string[];
  values: unknown[][];
  tags?: Record<string, string>;
}

export class Influxd {
  private child: ChildProcess | undefined;
  private stderr = '';

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly configPath: string,
    private readonly admin: InfluxdOptions['admin'],
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(opts: InfluxdOptions = {}): Promise<Influxd> {
    const dir = mkdtempSync(join(tmpdir(), 'kudf-influxd-'));
    const configPath = join(dir, 'influxdb.conf');
    const d = await startOnFreePort(async (port) => {
      writeFileSync(configPath, influxdConfig(dir, port, await freePort(), opts));
      const attempt = new Influxd(dir, port, configPath, opts.admin);
      await attempt.resume().catch(async (err: unknown) => {
        await attempt.pause();
        throw err;
      });
      return attempt;
    }).catch((err: unknown) => {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    });
    if (opts.admin !== undefined) {
      // With auth on and no user yet, 1.x accepts exactly this statement unauthenticated.
      const q = `CREATE USER "${opts.admin.user}" WITH PASSWORD '${opts.admin.password}' WITH ALL PRIVILEGES`;
      const res = await fetch(`${d.url}/query`, { method: 'POST', body: new URLSearchParams({ q }) });
      if (!res.ok) throw new Error(`creating the admin user failed: ${res.status} ${await res.text()}`);
    }
    return d;
  }

  /** Starts (again) on the same port and data directory; resolves once /ping answers 204. */
  async resume(): Promise<void> {
    if (this.child !== undefined) return;
    const child = spawn(INFLUXD_BIN, ['run', '-config', this.configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr?.on('data', (c: Buffer) => {
      this.stderr = (this.stderr + c.toString()).slice(-4000);
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
      if (this.child === child) this.child = undefined;
    });
    await waitFor(`influxd on port ${this.port}`, async () => {
      if (exited) throw new GaveUp(`influxd exited: ${this.stderr}`);
      const res = await fetch(`${this.url}/ping`);
      return res.status === 204;
    });
  }

  /** Stops the server (SIGTERM), keeping its data. */
  async pause(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    await stopChild(child, 10_000);
  }

  async stop(): Promise<void> {
    await this.pause();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private authHeaders(): Record<string, string> {
    if (this.admin === undefined) return {};
    return { Authorization: `Basic ${Buffer.from(`${this.admin.user}:${this.admin.password}`).toString('base64')}` };
  }

  /** Runs InfluxQL; returns the series of the first statement (times as ns integers). */
  async query(db: string, q: string): Promise<QuerySeries[]> {
    const params = new URLSearchParams({ db, q, epoch: 'ns' });
    const res = await fetch(`${this.url}/query?${params.toString()}`, { headers: this.authHeaders() });
    const text = await res.text();
    if (!res.ok) throw new Error(`query failed: ${res.status} ${text}`);
    const body = JSON.parse(text) as { results: Array<{ series?: QuerySeries[]; error?: string }> };
    const first = body.results[0];
    if (first?.error !== undefined) throw new Error(`query error: ${first.error}`);
    return first?.series ?? [];
  }

  /** `SELECT count(field)` over a measurement; 0 when there is none. */
  async count(db: string, measurement: string, field: string): Promise<number> {
    const s = await this.query(db, `SELECT count("${field}") FROM "${measurement}"`);
    const v = s[0]?.values[0]?.[1];
    return typeof v === 'number' ? v : 0;
  }

  /** Runs a statement such as CREATE DATABASE. */
  async exec(q: string): Promise<void> {
    const res = await fetch(`${this.url}/query`, {
      method: 'POST',
      headers: this.authHeaders(),
      body: new URLSearchParams({ q }),
    });
    const text = await res.text();
    if (!res.ok || text.includes('"error"')) throw new Error(`statement failed: ${res.status} ${text}`);
  }
}

function influxdConfig(dir: string, port: number, rpcPort: number, opts: InfluxdOptions): string {
  return [
    'reporting-disabled = true',
    `bind-address = "127.0.0.1:${rpcPort}"`,
    '[meta]',
    `  dir = "${join(dir, 'meta')}"`,
    '[data]',
    `  dir = "${join(dir, 'data')}"`,
    `  wal-dir = "${join(dir, 'wal')}"`,
    '  query-log-enabled = false',
    '[retention]',
    '  enabled = false',
    '[shard-precreation]',
    '  enabled = false',
    '[monitor]',
    '  store-enabled = false',
    '[subscriber]',
    `  enabled = ${opts.subscriber === true}`,
    '[continuous_queries]',
    '  enabled = false',
    '[http]',
    '  enabled = true',
    `  bind-address = "127.0.0.1:${port}"`,
    `  auth-enabled = ${opts.admin !== undefined}`,
    '  log-enabled = false',
    '[logging]',
    '  level = "warn"',
    '',
  ].join('\n');
}
