import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Logger } from '../../log/index.js';
import type { HttpSettings, RouterConfig } from '../config/index.js';
import { systemClock, type Clock } from '../timing/index.js';
import { TransportError } from '../transport/index.js';
import { DigestAuth } from '../tr064/index.js';
import { SessionCookies } from './cookies.js';

export type HttpRouter = Pick<RouterConfig, 'name' | 'user' | 'auth' | 'connectTimeoutMs'> & { http: HttpSettings };

export interface HttpSessionOptions {
  router: HttpRouter;
  logger: Logger;
  readFile?: (path: string) => string;
  /** Largest response body kept. */
  maxResponseBytes?: number;
  /** Where the deadline of a poll's requests is read; default the real clock. */
  clock?: Clock;
}

interface Reply {
  status: number;
  body: string;
  location: string | undefined;
  challenge: string | undefined;
}

/** Unlike `TransportError`, a request's own failure before it is classified. */
type RequestError = Error & { code?: string };

/**
 * A router whose line status is a web page: each poll GETs `http.url` and returns the body for
 * the page kind's parser. Basic or digest auth (the digest client of the TR-064 transport, its
 * challenge kept across polls), or a form login whose session cookie is kept until the device
 * sends the login page again. One kept-alive connection per router; HTTPS verifies the
 * certificate unless the router's `http.tlsVerify` is false. The password goes into the
 * Authorization header or the login form only, never into a log line or an error.
 */
export class HttpSession {
  /** Requests sent, 401 challenges answered, form logins made: tests and the bench read them. */
  requests = 0;
  challenges = 0;
  logins = 0;

  private readonly agent: HttpAgent;
  private readonly digest: DigestAuth | undefined;
  private readonly cookies = new SessionCookies();
  private loggedIn = false;
  private closed = false;
  private readonly router: HttpRouter;
  private readonly settings: HttpSettings;
  private readonly https: boolean;
  private readonly log: Logger;
  private readonly maxBody: number;
  private readonly clock: Clock;

  constructor(opts: HttpSessionOptions) {
    this.router = opts.router;
    this.settings = opts.router.http;
    this.log = opts.logger;
    this.clock = opts.clock ?? systemClock;
    this.maxBody = opts.maxResponseBytes ?? 1 << 20;
    this.https = this.settings.url.startsWith('https:');
    if (this.settings.login === 'digest') this.digest = new DigestAuth(this.router.user, this.password);
    // One socket per router, kept open between polls: a router's web server is asked one thing at a time.
    if (this.https) {
      const caFile = this.settings.caFile;
      const ca = caFile !== undefined ? (opts.readFile ?? ((p) => readFileSync(p, 'utf8')))(caFile) : undefined;
      this.agent = new HttpsAgent({
        keepAlive: true,
        maxSockets: 1,
        rejectUnauthorized: this.settings.tlsVerify,
        ...(ca !== undefined ? { ca } : {}),
      });
    } else this.agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  }

  /** Sockets currently open to the router (for tests of connection reuse). */
  get openSockets(): number {
    const count = (lists: NodeJS.ReadOnlyDict<unknown[]>): number =>
      Object.values(lists).reduce<number>((n, list) => n + (list?.length ?? 0), 0);
    return count(this.agent.sockets) + count(this.agent.freeSockets);
  }

  private get password(): string {
    return this.router.auth.password ?? '';
  }

  /** Fetches the status page; `command` is not used (the page is `http.url`). Throws TransportError. */
  async run(_command: string, timeoutMs: number): Promise<string> {
    if (this.closed) throw new TransportError('KUDF_HTTP_CLOSED', this.router.name, 'session closed');
    const deadline = this.clock.now() + timeoutMs;
    if (this.settings.login !== 'form') return this.page(await this.fetchPage(deadline, timeoutMs));
    let fresh = false;
    if (!this.loggedIn) {
      await this.formLogin(deadline, timeoutMs);
      fresh = true;
    }
    let reply = await this.fetchPage(deadline, timeoutMs);
    if (this.isLoginPage(reply)) {
      if (fresh) throw this.refused('the device still sends its login page right after logging in');
      // The session ended between polls (a timeout, a reboot, another login): log in again, once.
      this.log.debug({ router: this.router.name }, 'web session ended; logging in again');
      this.loggedIn = false;
      this.cookies.clear();
      await this.formLogin(deadline, timeoutMs);
      reply = await this.fetchPage(deadline, timeoutMs);
      if (this.isLoginPage(reply)) throw this.refused('the device still sends its login page right after logging in');
    }
    return this.page(reply);
  }

  close(): void {
    this.closed = true;
    this.agent.destroy();
  }

  private page(reply: Reply): string {
    const { name } = this.router;
    if (reply.status === 401 || reply.status === 403)
      throw this.refused(`the page answered HTTP ${reply.status} to ${this.router.user || 'no user'}`);
    if (reply.status >= 300 && reply.status < 400)
      throw new TransportError(
        'KUDF_HTTP_STATUS',
        name,
        `the page redirects (HTTP ${reply.status}) to ${reply.location ?? 'nowhere'}; set http.url to the page itself`,
      );
    if (reply.status < 200 || reply.status >= 300)
      throw new TransportError('KUDF_HTTP_STATUS', name, `the page answered HTTP ${reply.status}`);
    return reply.body;
  }

  private refused(why: string): TransportError {
    return new TransportError(
      'KUDF_HTTP_AUTH',
      this.router.name,
      `login as ${this.router.user || '(none)'} failed: ${why}`,
    );
  }

  // A form-login session is over when the device answers with its login page instead.
  private isLoginPage(reply: Reply): boolean {
    if (reply.status === 401 || reply.status === 403) return true;
    if (reply.status >= 300 && reply.status < 400) return true;
    return this.settings.form?.loggedOut?.test(reply.body) === true;
  }

  private async fetchPage(deadline: number, timeoutMs: number): Promise<Reply> {
    const url = new URL(this.settings.url);
    const headers: Record<string, string> = { accept: 'text/html,application/json,text/plain,*/*' };
    const login = this.settings.login;
    if (login === 'basic')
      headers.authorization = `Basic ${Buffer.from(`${this.router.user}:${this.password}`, 'utf8').toString('base64')}`;
    const path = `${url.pathname}${url.search}`;
    const withDigest = (): Record<string, string> => {
      const h = this.digest?.header('GET', path);
      return h === undefined ? headers : { ...headers, authorization: h };
    };
    let reply = await this.request(
      'GET',
      url,
      login === 'digest' ? withDigest() : headers,
      undefined,
      deadline,
      timeoutMs,
    );
    if (login === 'digest' && reply.status === 401) {
      // A first request, an expired nonce, or a wrong password: answer the new challenge once.
      this.challenges += 1;
      if (!this.digest?.accept(reply.challenge))
        throw this.refused('the page asked for a login without a usable digest challenge');
      reply = await this.request('GET', url, withDigest(), undefined, deadline, timeoutMs);
      if (reply.status === 401) {
        this.digest.forget();
        throw this.refused('the digest response was not accepted');
      }
    }
    return reply;
  }

  private async formLogin(deadline: number, timeoutMs: number): Promise<void> {
    const form = this.settings.form;
    if (form === undefined) return;
    const body = new URLSearchParams({
      ...form.fields,
      [form.userField]: this.router.user,
      [form.passwordField]: this.password,
    }).toString();
    this.logins += 1;
    // Logging in is part of connecting: it gets connectTimeout (and never more than the poll's time).
    const loginDeadline = Math.min(deadline, this.clock.now() + this.router.connectTimeoutMs);
    const reply = await this.request(
      'POST',
      new URL(form.url),
      { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      loginDeadline,
      Math.min(timeoutMs, this.router.connectTimeoutMs),
    );
    if (reply.status === 401 || reply.status === 403)
      throw this.refused(`the login form answered HTTP ${reply.status}`);
    if (reply.status >= 400)
      throw new TransportError('KUDF_HTTP_STATUS', this.router.name, `the login form answered HTTP ${reply.status}`);
    if (form.failed?.test(reply.body) === true) throw this.refused('the device refused the user or password');
    this.loggedIn = true;
    this.log.debug({ router: this.router.name, cookies: this.cookies.size }, 'logged in to the web interface');
  }

  private request(
    method: 'GET' | 'POST',
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
    deadline: number,
    timeoutMs: number,
  ): Promise<Reply> {
    const name = this.router.name;
    const left = deadline - this.clock.now();
    if (left <= 0)
      return Promise.reject(new TransportError('KUDF_HTTP_TIMEOUT', name, `no complete reply within ${timeoutMs} ms`));
    const cookie = this.cookies.header();
    const all: Record<string, string> = { ...headers, ...(cookie !== undefined ? { cookie } : {}) };
    if (body !== undefined) all['content-length'] = String(Buffer.byteLength(body));
    this.requests += 1;
    return new Promise<Reply>((resolve, reject) => {
      let settled = false;
      const fail = (err: RequestError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(this.failure(err, url, timeoutMs));
      };
      const req = (this.https ? httpsRequest : httpRequest)(
        url,
        { method, headers: all, agent: this.agent },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (d: Buffer) => {
            size += d.length;
            if (size > this.maxBody) {
              req.destroy(Object.assign(new Error('response too large'), { code: 'ERR_BODY_TOO_LARGE' }));
              return;
            }
            chunks.push(d);
          });
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            this.cookies.take(res.headers['set-cookie']);
            const header: unknown = res.headers['www-authenticate'];
            const first: unknown = Array.isArray(header) ? (header as unknown[])[0] : header;
            const status = res.statusCode ?? 0;
            this.log.debug({ router: name, method, url: url.href, status, bytes: size }, 'web page request');
            resolve({
              status,
              body: decodeBody(Buffer.concat(chunks), res.headers['content-type']),
              location: res.headers.location,
              challenge: typeof first === 'string' ? first : undefined,
            });
          });
          res.on('error', fail);
        },
      );
      // One deadline for the whole exchange (connect, TLS, headers, body), not per socket read.
      const timer = setTimeout(
        () => req.destroy(Object.assign(new Error(`no complete reply within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })),
        left,
      );
      req.on('error', fail);
      req.end(body);
    });
  }

  private failure(err: RequestError, url: URL, timeoutMs: number): TransportError {
    const name = this.router.name;
    const code = err.code ?? '';
    if (code === 'ETIMEDOUT')
      return new TransportError(
        'KUDF_HTTP_TIMEOUT',
        name,
        `no complete reply from ${url.host} within ${timeoutMs} ms`,
        {
          cause: err,
        },
      );
    if (code === 'ERR_BODY_TOO_LARGE')
      return new TransportError('KUDF_HTTP_TOO_LARGE', name, `a reply exceeds ${this.maxBody} bytes`, { cause: err });
    // A certificate the router's trust settings do not accept: the device's identity is not proven.
    if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS_CERT_ALTNAME/.test(code))
      return new TransportError(
        'KUDF_HTTP_TLS',
        name,
        `TLS certificate of ${url.host} not accepted (${code}); set http.caFile, or http.tlsVerify: false for this router`,
        { cause: err },
      );
    return new TransportError('KUDF_HTTP_CONNECT', name, `cannot reach ${url.host}: ${err.message}`, { cause: err });
  }
}

// Router pages are often Latin-1; anything else is read as UTF-8.
function decodeBody(buf: Buffer, contentType: string | undefined): string {
  const charset = /charset\s*=\s*"?([\w-]+)/i.exec(contentType ?? '')?.[1]?.toLowerCase();
  return charset === 'iso-8859-1' || charset === 'latin1' || charset === 'windows-1252'
    ? buf.toString('latin1')
    : buf.toString('utf8');
}
