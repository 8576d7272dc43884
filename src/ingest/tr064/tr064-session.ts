import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Logger } from '../../log/index.js';
import type { RouterConfig } from '../config/index.js';
import { DigestAuth } from './digest.js';
import { TransportError } from '../transport/index.js';
import { systemClock, type Clock } from '../timing/index.js';

export type Tr064Router = Pick<
  RouterConfig,
  'name' | 'address' | 'port' | 'user' | 'auth' | 'connectTimeoutMs' | 'tr064'
>;

export interface Tr064SessionOptions {
  router: Tr064Router;
  logger: Logger;
  readFile?: (path: string) => string;
  /** Largest response body kept. */
  maxResponseBytes?: number;
  /** Where the deadline of a poll's actions is read; default the real clock. */
  clock?: Clock;
}

/** UPnP error code for an action the device does not have (UPnP Device Architecture 1.0, 3.2.2). */
const INVALID_ACTION = '401';

interface Reply {
  status: number;
  body: string;
  challenge: string | undefined;
}

/**
 * A FRITZ!Box (or any TR-064 device) asked for its DSL line over SOAP: each poll calls the
 * configured actions of `WANDSLInterfaceConfig:1` (by default `GetInfo`, `GetStatisticsTotal`
 * and AVM's `X_AVM-DE_GetDSLInfo`, skipped where the box answers "Invalid Action") and returns
 * the replies as one text for the `tr064` parser. HTTP digest auth; the connection and the
 * digest challenge are kept across polls, as SshSession keeps its connection. HTTPS verifies
 * the certificate unless the router's `tr064.insecureSkipVerify` says otherwise.
 */
export class Tr064Session {
  private readonly agent: HttpAgent;
  private readonly digest: DigestAuth;
  private closed = false;
  /** Requests sent so far, and how many were answered 401 (a new digest challenge). */
  requests = 0;
  challenges = 0;

  private readonly router: Tr064Router;
  private readonly log: Logger;
  private readonly maxBody: number;
  private readonly clock: Clock;

  constructor(opts: Tr064SessionOptions) {
    this.router = opts.router;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger;
    this.maxBody = opts.maxResponseBytes ?? 1 << 20;
    this.digest = new DigestAuth(opts.router.user, opts.router.auth.password ?? '');
    const t = opts.router.tr064;
    // One socket per router, kept open between polls: a box is asked one thing at a time.
    if (t.https) {
      const ca = t.caFile !== undefined ? (opts.readFile ?? ((p) => readFileSync(p, 'utf8')))(t.caFile) : undefined;
      this.agent = new HttpsAgent({
        keepAlive: true,
        maxSockets: 1,
        rejectUnauthorized: !t.insecureSkipVerify,
        ...(ca !== undefined ? { ca } : {}),
      });
    } else this.agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  }

  /** Sockets currently open to the box (for tests of connection reuse). */
  get openSockets(): number {
    return (
      Object.values(this.agent.sockets).reduce((n, list) => n + (list?.length ?? 0), 0) +
      Object.values(this.agent.freeSockets).reduce((n, list) => n + (list?.length ?? 0), 0)
    );
  }

  /** `command` is a comma-separated action list, or empty for the defaults. Throws TransportError. */
  async run(command: string, timeoutMs: number): Promise<string> {
    if (this.closed) throw new TransportError('KUDF_TR064_CLOSED', this.router.name, 'session closed');
    const actions = command
      .split(',')
      .map((a) => a.trim())
      .filter((a) => a !== '');
    const replies: string[] = [];
    const deadline = this.clock.now() + timeoutMs;
    for (const action of actions) {
      const left = deadline - this.clock.now();
      if (left <= 0)
        throw new TransportError(
          'KUDF_TR064_TIMEOUT',
          this.router.name,
          `actions did not finish within ${timeoutMs} ms`,
        );
      const body = await this.call(action, left);
      if (body !== undefined) replies.push(body);
    }
    if (replies.length === 0)
      throw new TransportError(
        'KUDF_TR064_FAULT',
        this.router.name,
        `the device has none of the actions ${actions.join(', ')}`,
      );
    return replies.join('\n');
  }

  close(): void {
    this.closed = true;
    this.agent.destroy();
  }

  /** One SOAP action; `undefined` when the device does not have it. */
  private async call(action: string, timeoutMs: number): Promise<string | undefined> {
    const t = this.router.tr064;
    const envelope =
      '<?xml version="1.0" encoding="utf-8"?>\n' +
      '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">' +
      `<s:Body><u:${action} xmlns:u="${t.service}"/></s:Body></s:Envelope>`;
    let reply = await this.post(action, envelope, timeoutMs);
    if (reply.status === 401) {
      // A first request, an expired nonce, or a wrong password: answer the new challenge once.
      this.challenges += 1;
      if (!this.digest.accept(reply.challenge))
        throw new TransportError(
          'KUDF_TR064_AUTH',
          this.router.name,
          'the device refused the request without a usable digest challenge',
        );
      reply = await this.post(action, envelope, timeoutMs);
      if (reply.status === 401) {
        this.digest.forget();
        throw new TransportError('KUDF_TR064_AUTH', this.router.name, `authentication as ${this.router.user} failed`);
      }
    }
    if (reply.status === 200) return reply.body;
    const code = /<errorCode>\s*(\d+)\s*</.exec(reply.body)?.[1];
    if (reply.status === 500 && code === INVALID_ACTION) {
      this.log.debug({ router: this.router.name, action }, 'TR-064 action not offered by this device; skipped');
      return undefined;
    }
    const desc = /<errorDescription>\s*([^<]*?)\s*</.exec(reply.body)?.[1];
    throw new TransportError(
      'KUDF_TR064_FAULT',
      this.router.name,
      `${action}: HTTP ${reply.status}${code !== undefined ? `, UPnP error ${code}` : ''}${desc !== undefined ? ` (${desc})` : ''}`,
    );
  }

  private post(action: string, envelope: string, timeoutMs: number): Promise<Reply> {
    const r = this.router;
    const t = r.tr064;
    const headers: Record<string, string> = {
      'content-type': 'text/xml; charset="utf-8"',
      soapaction: `${t.service}#${action}`,
      'content-length': String(Buffer.byteLength(envelope)),
    };
    const authorization = this.digest.header('POST', t.controlUrl);
    if (authorization !== undefined) headers.authorization = authorization;
    this.requests += 1;
    return new Promise<Reply>((resolve, reject) => {
      const req = (t.https ? httpsRequest : httpRequest)(
        {
          host: r.address,
          port: r.port,
          path: t.controlUrl,
          method: 'POST',
          headers,
          agent: this.agent,
          timeout: timeoutMs,
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (d: Buffer) => {
            size += d.length;
            if (size > this.maxBody) {
              req.destroy(new Error('response too large'));
              return;
            }
            chunks.push(d);
          });
          res.on('end', () => {
            const header: unknown = res.headers['www-authenticate'];
            const first: unknown = Array.isArray(header) ? (header as unknown[])[0] : header;
            const challenge = typeof first === 'string' ? first : undefined;
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), challenge });
          });
          res.on('error', (err) => reject(this.failure(err)));
        },
      );
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error(`no reply within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
      );
      req.on('error', (err) => reject(this.failure(err)));
      req.end(envelope);
    });
  }

  private failure(err: Error & { code?: string }): TransportError {
    const r = this.router;
    const code = err.code ?? '';
    if (code === 'ETIMEDOUT') return new TransportError('KUDF_TR064_TIMEOUT', r.name, err.message, { cause: err });
    // A certificate the router's trust settings do not accept: the device's identity is not proven.
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT_ALTNAME/.test(code)) {
      return new TransportError(
        'KUDF_TR064_TLS',
        r.name,
        `TLS certificate of ${r.address}:${r.port} not accepted (${code}); set tr064.caFile or tr064.insecureSkipVerify`,
        { cause: err },
      );
    }
    if (err.message === 'response too large')
      return new TransportError('KUDF_TR064_FAULT', r.name, `a reply exceeds ${this.maxBody} bytes`, { cause: err });
    return new TransportError('KUDF_TR064_CONNECT', r.name, `cannot reach ${r.address}:${r.port}: ${err.message}`, {
      cause: err,
    });
  }
}
