/**
 * A loopback HTTP server that keeps what Kapacitor posts to it: `|httpPost(url)` bodies (a
 * result with one series: a point, or a whole batch) and alert `.post(url)` bodies (the same
 * series under `data`, next to the alert's message). Each path is its own inbox, so several
 * tasks of one Kapacitor post to one collector.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from './free-port.js';

/** One series as Kapacitor encodes it (models.Row): times are RFC 3339 strings with nanoseconds. */
export interface PostedRow {
  name?: string;
  tags?: Record<string, string>;
  /** Absent, like values, for an empty batch. */
  columns?: string[];
  values?: unknown[][];
}

/** One POST: the series it carried and, for an alert, its message. */
export interface Posted {
  seq: number;
  rows: PostedRow[];
  message?: string;
}

/** One point of a posted series, with its time in nanoseconds. */
export interface PostedPoint {
  /** Which POST it came in (its order of arrival on that path). */
  seq: number;
  name: string;
  tags: Record<string, string>;
  time: bigint;
  fields: Record<string, unknown>;
  message?: string;
}

/** RFC 3339 with up to nine fractional digits (Go's RFC3339Nano) to Unix nanoseconds. */
export function rfc3339ToNs(text: string): bigint {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(text);
  if (m === null) throw new Error(`not an RFC 3339 UTC time: ${text}`);
  const seconds = BigInt(Date.parse(`${m[1] as string}Z`)) / 1000n;
  return seconds * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

function rowsOf(body: unknown): PostedRow[] {
  const holder = (body as { data?: { series?: unknown } }).data ?? body;
  const series = (holder as { series?: unknown }).series;
  if (!Array.isArray(series)) throw new Error(`no series in posted body: ${JSON.stringify(body).slice(0, 300)}`);
  return series as PostedRow[];
}

export class HttpCollector {
  private readonly inbox = new Map<string, Posted[]>();
  /** Bodies that could not be read as a series, with why: a test fails on any of them. */
  readonly rejected: string[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<HttpCollector> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const c = new HttpCollector(server, (server.address() as AddressInfo).port);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (b: Buffer) => chunks.push(b));
      req.on('end', () => {
        const path = (req.url ?? '/').split('?')[0] as string;
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          const body = JSON.parse(text) as unknown;
          const list = c.inbox.get(path) ?? [];
          const posted: Posted = { seq: list.length, rows: rowsOf(body) };
          const message = (body as { message?: unknown }).message;
          if (typeof message === 'string') posted.message = message;
          list.push(posted);
          c.inbox.set(path, list);
          res.writeHead(204).end();
        } catch (err) {
          c.rejected.push(`${path}: ${(err as Error).message}`);
          res.writeHead(400).end();
        }
      });
    });
    return c;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}/${path}`;
  }

  posts(path: string): Posted[] {
    return this.inbox.get(`/${path}`) ?? [];
  }

  /** Every point posted to `path`, in order of arrival, with each row's tags and name. */
  points(path: string): PostedPoint[] {
    const out: PostedPoint[] = [];
    for (const post of this.posts(path)) {
      for (const row of post.rows) {
        const columns = row.columns ?? [];
        if ((row.values ?? []).length === 0) continue;
        const timeAt = columns.indexOf('time');
        if (timeAt < 0) throw new Error(`a row posted to ${path} has no time column`);
        for (const values of row.values ?? []) {
          const fields: Record<string, unknown> = {};
          columns.forEach((col, i) => {
            if (i !== timeAt && values[i] !== null) fields[col] = values[i];
          });
          const p: PostedPoint = {
            seq: post.seq,
            name: row.name ?? '',
            tags: row.tags ?? {},
            time: rfc3339ToNs(values[timeAt] as string),
            fields,
          };
          if (post.message !== undefined) p.message = post.message;
          out.push(p);
        }
      }
    }
    return out;
  }

  /** Waits until `done(points)` holds for what `path` received. */
  async waitUntil(
    path: string,
    what: string,
    done: (points: PostedPoint[]) => boolean,
    timeoutMs = 60_000,
  ): Promise<PostedPoint[]> {
    await waitFor(`${what} at /${path}`, () => Promise.resolve(done(this.points(path))), timeoutMs, 100).catch(
      (err: unknown) => {
        throw new Error(
          `${(err as Error).message} (received ${this.points(path).length} points in ${this.posts(path).length} posts)`,
        );
      },
    );
    return this.points(path);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
