import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import auth from 'http-auth';
import { selfSignedCert } from './self-signed-cert.js';

/** The realm FRITZ!OS names in its TR-064 digest challenge. */
export const AVM_REALM = 'F!Box SOAP-Auth';

/** What FRITZ!OS answers for an action it does not have (UPnP error 401). */
export const INVALID_ACTION_FAULT = [
  '<?xml version="1.0"?>',
  '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">',
  '<s:Body>',
  '<s:Fault>',
  '<faultcode>s:Client</faultcode>',
  '<faultstring>UPnPError</faultstring>',
  '<detail>',
  '<UPnPError xmlns="urn:dslforum-org:control-1-0">',
  '<errorCode>401</errorCode>',
  '<errorDescription>Invalid Action</errorDescription>',
  '</UPnPError>',
  '</detail>',
  '</s:Fault>',
  '</s:Body>',
  '</s:Envelope>',
].join('\n');

export interface Tr064BoxOptions {
  user: string;
  password: string;
  /** Action name -> SOAP reply body; other actions get the Invalid Action fault. */
  responses: Readonly<Record<string, string>>;
  /** Serve HTTPS with a fresh self-signed certificate for 127.0.0.1. */
  https?: boolean;
  /** Never answer these actions (a hung box). */
  hang?: readonly string[];
}

export interface Tr064Box {
  port: number;
  /** PEM of the HTTPS certificate (its own CA), when `https`. */
  certPem: string | undefined;
  certFile: string | undefined;
  /** Authenticated SOAP calls, in order: `service#action`. */
  readonly calls: string[];
  /** TCP connections accepted. */
  readonly connections: number;
  /** Requests turned away by digest auth (a challenge sent). */
  readonly challenges: number;
  close(): Promise<void>;
}

/**
 * A FRITZ!Box's TR-064 control endpoint on loopback: digest auth by http-auth (a maintained
 * server implementation, independent of the client under test), then the reply configured for
 * the SOAPAction.
 */
export async function startTr064Box(opts: Tr064BoxOptions): Promise<Tr064Box> {
  const digest = auth.digest({ realm: AVM_REALM, qop: 'auth' }, (user: string, callback: (ha1?: string) => void) => {
    callback(
      user === opts.user ? createHash('md5').update(`${user}:${AVM_REALM}:${opts.password}`).digest('hex') : undefined,
    );
  });
  const state = { calls: [] as string[], connections: 0, challenges: 0 };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const soapAction = String(req.headers.soapaction ?? '').replace(/"/g, '');
      const action = soapAction.split('#')[1] ?? '';
      state.calls.push(soapAction);
      if (opts.hang?.includes(action) === true) return;
      const body = opts.responses[action];
      res.setHeader('content-type', 'text/xml; charset="utf-8"');
      if (body === undefined) {
        res.statusCode = 500;
        res.end(INVALID_ACTION_FAULT);
      } else res.end(body);
    });
  };
  const checked = (req: IncomingMessage, res: ServerResponse): void => {
    const before = res.statusCode;
    res.on('finish', () => {
      if (res.statusCode === 401 && before !== 401) state.challenges += 1;
    });
    digest.check(handler)(req, res);
  };

  let dir: string | undefined;
  let certPem: string | undefined;
  let server: Server;
  if (opts.https === true) {
    dir = mkdtempSync(join(tmpdir(), 'kudf-tr064-'));
    selfSignedCert(dir, '/CN=fritz.box', '127.0.0.1');
    certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: certPem }, checked);
  } else server = createHttpServer(checked);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    state.connections += 1;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // TLS connections are counted when the handshake starts; 'connection' fires for the raw socket either way.
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    certPem,
    certFile: dir !== undefined ? join(dir, 'cert.pem') : undefined,
    get calls() {
      return state.calls;
    },
    get connections() {
      return state.connections;
    },
    get challenges() {
      return state.challenges;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
