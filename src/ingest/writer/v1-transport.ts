/**
 * InfluxDB 1.x `/write` (every 1.x, including Debian's 1.6.7, which has no `/api/v2/write`)
 * over node's own http/https with a keep-alive agent. Credentials travel in an
 * Authorization header, never in the URL, so no URL we log or that an error quotes holds them.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { gzip as gzipCb } from 'node:zlib';
import { promisify } from 'node:util';
import type { V1Target, WriterTuning } from './influx-settings.js';
import { outcomeForStatus, type SendOutcome } from './outcome.js';
import { redactUrl } from './redact.js';
import { toPrecision, type WriteTransport } from './transport.js';

const gzip = promisify(gzipCb);
const V1_PRECISION = { ns: 'ns', us: 'u', ms: 'ms', s: 's' } as const;
/** Enough of an error body to explain it; more would only cost memory. */
const MAX_BODY = 64 * 1024;

interface HttpAnswer {
  status: number;
  body: string;
  retryAfter: string | undefined;
}

export interface V1TransportOptions {
  target: V1Target;
  tuning: WriterTuning;
  scrub: (text: string) => string;
  now: () => number;
}

export class V1Transport implements WriteTransport {
  readonly description: string;
  private readonly agent: http.Agent;
  private readonly base: URL;
  private readonly auth: string | undefined;

  constructor(private readonly o: V1TransportOptions) {
    this.base = new URL(o.target.url);
    this.description = `InfluxDB v1 ${redactUrl(o.target.url)} db=${o.target.database}`;
    const tls = this.base.protocol === 'https:';
    const agentOpts = { keepAlive: true, maxSockets: 4 };
    this.agent = tls
      ? new https.Agent({
          ...agentOpts,
          rejectUnauthorized: o.tuning.tlsRejectUnauthorized,
          ...(o.tuning.caFile !== undefined ? { ca: readFileSync(o.tuning.caFile) } : {}),
        })
      : new http.Agent(agentOpts);
    const { username, password } = o.target;
    this.auth =
      username !== undefined ? `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}` : undefined;
  }

  async send(lines: readonly string[]): Promise<SendOutcome> {
    const p = this.o.tuning.precision;
    const text = `${lines.map((l) => toPrecision(l, p)).join('\n')}\n`;
    const url = new URL('write', this.base.href.endsWith('/') ? this.base.href : `${this.base.href}/`);
    url.searchParams.set('db', this.o.target.database);
    if (this.o.target.retentionPolicy !== undefined) url.searchParams.set('rp', this.o.target.retentionPolicy);
    url.searchParams.set('precision', V1_PRECISION[p]);
    const headers: Record<string, string> = { 'Content-Type': 'text/plain; charset=utf-8' };
    let body = Buffer.from(text, 'utf8');
    if (this.o.tuning.gzip) {
      body = await gzip(body);
      headers['Content-Encoding'] = 'gzip';
    }
    return this.request(url, headers, body);
  }

  /** `CREATE DATABASE` is a no-op when the database exists, so it is safe on every first connect. */
  async prepare(): Promise<SendOutcome> {
    if (!this.o.target.createDatabase) return { kind: 'ok' };
    const url = new URL('query', this.base.href.endsWith('/') ? this.base.href : `${this.base.href}/`);
    const q = `CREATE DATABASE "${this.o.target.database.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    const body = Buffer.from(new URLSearchParams({ q }).toString());
    const outcome = await this.request(url, { 'Content-Type': 'application/x-www-form-urlencoded' }, body);
    return outcome;
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  private request(url: URL, headers: Record<string, string>, body: Buffer): Promise<SendOutcome> {
    const h = {
      ...headers,
      'Content-Length': String(body.length),
      ...(this.auth !== undefined ? { Authorization: this.auth } : {}),
    };
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      const done = (o: SendOutcome): void => {
        if (!settled) {
          settled = true;
          resolve(o);
        }
      };
      const req = mod.request(
        url,
        { method: 'POST', headers: h, agent: this.agent, timeout: this.o.tuning.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            if (size < MAX_BODY) chunks.push(c);
            size += c.length;
          });
          res.on('error', (err) => done({ kind: 'retry', reason: this.o.scrub(`response failed: ${err.message}`) }));
          res.on('end', () => {
            const answer: HttpAnswer = {
              status: res.statusCode ?? 0,
              body: this.o.scrub(Buffer.concat(chunks).toString('utf8')),
              retryAfter: headerValue(res.headers['retry-after']),
            };
            done(this.interpret(url, answer));
          });
        },
      );
      req.on('timeout', () => {
        req.destroy(new Error(`no answer within ${this.o.tuning.timeoutMs} ms`));
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        done({ kind: 'retry', reason: this.o.scrub(`${err.code ?? 'request failed'}: ${err.message}`) });
      });
      req.end(body);
    });
  }

  private interpret(url: URL, a: HttpAnswer): SendOutcome {
    if (url.pathname.endsWith('/query') && a.status === 200) {
      // /query reports statement errors inside a 200.
      return /"error"\s*:/.test(a.body)
        ? {
            kind: 'hold',
            reason: `CREATE DATABASE failed: ${a.body.slice(0, 300)}`,
            status: 200,
            databaseMissing: false,
          }
        : { kind: 'ok' };
    }
    return outcomeForStatus(a.status, a.body, a.retryAfter, this.o.now());
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
