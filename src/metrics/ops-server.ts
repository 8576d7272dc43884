import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { HttpAddress } from './http-address.js';

export interface OpsEndpoints {
  /** Prometheus metrics of this process. */
  registry: Registry;
  /** The JSON document served at /status. */
  status(): unknown;
  /** Whether /readyz answers 200: the process does its job now. */
  ready(): boolean;
  /** Called before each scrape, to bring counters up to date. */
  beforeScrape?: () => void;
}

/**
 * The operations endpoints of `kudf serve` and `kudf poll`: `/metrics` (Prometheus text
 * format), `/healthz` (the process answers), `/readyz` (it is ready for work) and `/status`
 * (JSON). GET and HEAD only; nothing here changes the process.
 */
export class OpsServer {
  private constructor(
    private readonly server: Server,
    readonly address: HttpAddress,
  ) {}

  static async start(at: HttpAddress, endpoints: OpsEndpoints): Promise<OpsServer> {
    const server = createServer((req, res) => {
      void handle(endpoints, req, res);
    });
    // A scrape that hangs must not keep the process from exiting.
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at.port, at.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.unref();
    const bound = server.address() as AddressInfo;
    return new OpsServer(server, { host: bound.address, port: bound.port });
  }

  get url(): string {
    const host = this.address.host.includes(':') ? `[${this.address.host}]` : this.address.host;
    return `http://${host}:${this.address.port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

async function handle(endpoints: OpsEndpoints, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n', { allow: 'GET, HEAD' });
    return;
  }
  try {
    switch (path) {
      case '/metrics': {
        endpoints.beforeScrape?.();
        const body = await endpoints.registry.metrics();
        send(res, 200, endpoints.registry.contentType, body);
        return;
      }
      case '/healthz':
        send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
        return;
      case '/readyz': {
        const ready = endpoints.ready();
        send(res, ready ? 200 : 503, 'text/plain; charset=utf-8', ready ? 'ready\n' : 'not ready\n');
        return;
      }
      case '/status':
        endpoints.beforeScrape?.();
        send(res, 200, 'application/json; charset=utf-8', `${JSON.stringify(endpoints.status(), null, 2)}\n`);
        return;
      default:
        send(res, 404, 'text/plain; charset=utf-8', 'not found: /metrics, /healthz, /readyz, /status\n');
    }
  } catch (err) {
    send(res, 500, 'text/plain; charset=utf-8', `${err instanceof Error ? err.message : String(err)}\n`);
  }
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
