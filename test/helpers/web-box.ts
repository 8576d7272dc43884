import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import auth from 'http-auth';
import { selfSignedCert } from './self-signed-cert.js';

export const WEB_REALM = 'Router Web UI';
/** What the form-login box sends for a page without a valid session (as ZyXEL firmware does). */
export const LOGIN_REDIRECT_PAGE = "<html><script>top.location='/login/login.html';</script></html>";
/** What it answers to a wrong password. */
export const LOGIN_FAILED_PAGE =
  '<html><body><form id="login">The username or password is not valid.</form></body></html>';

/** A form for the box to serve: where it posts to and its field names (ZyXEL's). */
export const WEB_BOX_FORM = { path: '/login/login-page.cgi', userField: 'AuthName', passwordField: 'AuthPassword' };

/**
 * The poll.yaml `http.form` settings that log in to a box serving {@link WEB_BOX_FORM}: its
 * patterns match {@link LOGIN_REDIRECT_PAGE} and {@link LOGIN_FAILED_PAGE}.
 */
export const WEB_BOX_FORM_LOGIN = {
  url: WEB_BOX_FORM.path,
  userField: WEB_BOX_FORM.userField,
  passwordField: WEB_BOX_FORM.passwordField,
  loggedOut: "top\\.location='/login/",
  failed: 'username or password is not valid',
};

export interface WebBoxOptions {
  login: 'none' | 'basic' | 'digest' | 'form';
  user: string;
  password: string;
  /** Path -> page body (and content type, default text/html). */
  pages: Readonly<Record<string, string | { body: string; type: string; status?: number }>>;
  /** Form login: where the form posts to and its field names. */
  form?: { path: string; userField: string; passwordField: string };
  /** Serve HTTPS with a fresh self-signed certificate for 127.0.0.1. */
  https?: boolean;
  /** Never answer these paths (a hung web server). */
  hang?: readonly string[];
}

export interface WebBox {
  port: number;
  origin: string;
  certFile: string | undefined;
  /** TCP connections accepted. */
  readonly connections: number;
  /** Page requests that got their page. */
  readonly served: number;
  /** Requests turned away by basic or digest auth (a challenge sent). */
  readonly challenges: number;
  /** Form logins that succeeded, and the form bodies received (to check what was posted). */
  readonly logins: number;
  readonly formBodies: string[];
  /** Ends every form-login session, as a router's session timeout does. */
  expireSessions(): void;
  close(): Promise<void>;
}

/**
 * A router's web interface on loopback serving fixture pages behind basic or digest auth
 * (http-auth, a maintained server implementation independent of the client under test) or a
 * form login with a session cookie, over HTTP or HTTPS.
 */
export async function startWebBox(opts: WebBoxOptions): Promise<WebBox> {
  const state = { connections: 0, served: 0, challenges: 0, logins: 0, formBodies: [] as string[] };
  const sessions = new Set<string>();

  const servePage = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (opts.hang?.includes(path) === true) return;
    const page = opts.pages[path];
    if (page === undefined) {
      res.statusCode = 404;
      res.end('<html><body><h1>404 Not Found</h1></body></html>');
      return;
    }
    const p = typeof page === 'string' ? { body: page, type: 'text/html; charset=utf-8' } : page;
    state.served += 1;
    res.statusCode = typeof page === 'string' ? 200 : (page.status ?? 200);
    res.setHeader('content-type', p.type);
    res.end(p.body);
  };

  const formHandler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const f = opts.form;
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (opts.hang?.includes(path) === true) return;
      if (f !== undefined && req.method === 'POST' && path === f.path) {
        const body = Buffer.concat(chunks).toString('utf8');
        state.formBodies.push(body);
        const params = new URLSearchParams(body);
        if (params.get(f.userField) === opts.user && params.get(f.passwordField) === opts.password) {
          const id = randomBytes(12).toString('hex');
          sessions.add(id);
          state.logins += 1;
          res.setHeader('set-cookie', [`SESSION=${id}; Path=/; HttpOnly`, 'lang=en; Path=/']);
          res.end('<html><script>top.location="/index.html";</script></html>');
        } else res.end(LOGIN_FAILED_PAGE);
        return;
      }
      const cookie = /(?:^|;\s*)SESSION=([0-9a-f]+)/.exec(String(req.headers.cookie ?? ''))?.[1];
      if (cookie === undefined || !sessions.has(cookie)) {
        res.end(LOGIN_REDIRECT_PAGE);
        return;
      }
      servePage(req, res);
    });
  };

  const checker = (
    check: (
      next: (req: IncomingMessage, res: ServerResponse) => void,
    ) => (req: IncomingMessage, res: ServerResponse) => void,
  ) => {
    const guarded = check(servePage);
    return (req: IncomingMessage, res: ServerResponse): void => {
      res.on('finish', () => {
        if (res.statusCode === 401) state.challenges += 1;
      });
      guarded(req, res);
    };
  };

  let handler: (req: IncomingMessage, res: ServerResponse) => void;
  if (opts.login === 'basic') {
    const basic = auth.basic({ realm: WEB_REALM }, (user: string, pass: string, cb: (ok: boolean) => void) =>
      cb(user === opts.user && pass === opts.password),
    );
    handler = checker((next) => basic.check(next));
  } else if (opts.login === 'digest') {
    const digest = auth.digest({ realm: WEB_REALM, qop: 'auth' }, (user: string, cb: (ha1?: string) => void) =>
      cb(
        user === opts.user
          ? createHash('md5').update(`${user}:${WEB_REALM}:${opts.password}`).digest('hex')
          : undefined,
      ),
    );
    handler = checker((next) => digest.check(next));
  } else if (opts.login === 'form') handler = formHandler;
  else handler = servePage;

  let dir: string | undefined;
  let server: Server;
  if (opts.https === true) {
    dir = mkdtempSync(join(tmpdir(), 'kudf-web-'));
    selfSignedCert(dir, '/CN=router.lan', '127.0.0.1');
    server = createHttpsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      handler,
    );
  } else server = createHttpServer(handler);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    state.connections += 1;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `${opts.https === true ? 'https' : 'http'}://127.0.0.1:${port}`,
    certFile: dir !== undefined ? join(dir, 'cert.pem') : undefined,
    get connections() {
      return state.connections;
    },
    get served() {
      return state.served;
    },
    get challenges() {
      return state.challenges;
    },
    get logins() {
      return state.logins;
    },
    get formBodies() {
      return state.formBodies;
    },
    expireSessions: () => sessions.clear(),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
