import { unlink } from 'node:fs/promises';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { UdfDefinition } from '../sdk/define-udf.js';
import { Connection } from './connection.js';
import type { FromWorker } from './messages.js';
import { claimSocketPath, listenUnix, prepareSocketDir, type SocketAccess } from './socket-listener.js';
import { WorkerPool } from './worker-pool.js';

/**
 * After the grace period, how long a session still open may take to answer what was already read
 * from it and have those replies written, before its connection is destroyed.
 */
const SHUTDOWN_FLUSH_MS = 500;

export interface UdfHostOptions {
  socketDir: string;
  /** The loaded functions; every one gets `<socketDir>/<name>.sock`. */
  registry: ReadonlyMap<string, UdfDefinition>;
  /** Module URLs the workers load the same functions from. */
  udfModules: string[];
  threads: number;
  access: SocketAccess;
  maxFrameBytes: number;
  highWaterMark: number;
  heartbeatMs: number;
  stallTimeoutMs: number;
  logger: Logger;
  logLevel: string;
}

export interface ServedSocket {
  udf: string;
  path: string;
  replacedStale: boolean;
}

/**
 * The UDF host: one Unix socket per function, connections spread over a worker pool.
 * `start()` fails (with nothing left listening) when any socket cannot be claimed.
 */
export class UdfHost {
  private readonly servers: Array<{ server: Server; path: string }> = [];
  private readonly connections = new Map<number, Connection>();
  private pool: WorkerPool | undefined;
  private nextId = 1;
  private stopping: Promise<void> | undefined;

  constructor(private readonly options: UdfHostOptions) {}

  async start(): Promise<ServedSocket[]> {
    const { options } = this;
    await prepareSocketDir(options.socketDir, options.access);
    const claims: ServedSocket[] = [];
    for (const udf of options.registry.keys()) {
      const path = join(options.socketDir, `${udf}.sock`);
      claims.push({ udf, path, replacedStale: (await claimSocketPath(path)) === 'replaced-stale' });
    }
    this.pool = new WorkerPool({
      threads: options.threads,
      setup: { udfModules: options.udfModules, maxFrameBytes: options.maxFrameBytes, logLevel: options.logLevel, logFd: 1 },
      registry: options.registry,
      logger: options.logger,
      heartbeatMs: options.heartbeatMs,
      stallTimeoutMs: options.stallTimeoutMs,
      onMessage: (message) => this.fromPlace(message),
      onLost: (ids, reason) => {
        for (const id of ids) this.connections.get(id)?.onSessionLost(reason);
      },
    });
    await this.pool.start();
    try {
      for (const claim of claims) {
        const server = await listenUnix(claim.path, options.access, (socket) => this.accept(claim.udf, socket));
        this.servers.push({ server, path: claim.path });
      }
    } catch (err) {
      await this.stop(0);
      throw err;
    }
    for (const claim of claims) {
      options.logger.info({ udf: claim.udf, socket: claim.path, replacedStale: claim.replacedStale }, 'serving function');
    }
    options.logger.info({ sockets: claims.map((c) => c.path), workers: this.pool.labels }, 'host ready');
    return claims;
  }

  /**
   * Stops accepting, lets open sessions finish for up to `graceMs`, then closes what is left,
   * stops the workers and removes the socket files.
   */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= this.shutdown(graceMs);
    return this.stopping;
  }

  private async shutdown(graceMs: number): Promise<void> {
    const log = this.options.logger;
    log.info({ sessions: this.connections.size, graceMs }, 'shutting down: no new connections');
    // close() stops accepting at once, but its callback waits for every open connection: wait
    // for it only once the connections are gone, or shutdown would never end while a task is open.
    const listenersClosed = Promise.all(this.servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))));
    const open = [...this.connections.values()];
    if (open.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), graceMs)));
      const outcome = await Promise.race([Promise.all(open.map((c) => c.closed)).then(() => 'drained' as const), deadline]);
      clearTimeout(timer);
      if (outcome === 'deadline') {
        const left = [...this.connections.values()];
        log.warn({ sessions: left.length }, 'grace period over: closing the sessions still open');
        await Promise.all(left.map((c) => c.closeForShutdown(SHUTDOWN_FLUSH_MS)));
      }
    }
    await listenersClosed;
    await this.pool?.stop();
    await Promise.all(this.servers.map(({ path }) => unlink(path).catch(() => undefined)));
    log.info({}, 'host stopped; socket files removed');
  }

  private accept(udf: string, socket: Socket): void {
    const pool = this.pool;
    if (pool === undefined || this.stopping !== undefined) {
      socket.destroy();
      return;
    }
    const id = this.nextId++;
    const place = pool.assign(id);
    const log = this.options.logger.child({ conn: id, udf, place: place.label });
    log.debug({}, 'connection accepted');
    const conn = new Connection(id, socket, udf, place, log, {
      highWaterMark: this.options.highWaterMark,
      maxFrameBytes: this.options.maxFrameBytes,
      fastKeepalives: this.options.threads > 0,
    });
    this.connections.set(id, conn);
    void conn.closed.then(() => {
      this.connections.delete(id);
      pool.release(place, id);
    });
  }

  private fromPlace(message: Exclude<FromWorker, { type: 'ready' | 'pong' }>): void {
    const conn = this.connections.get(message.id);
    if (conn === undefined) return;
    conn.onOut(message.bytes, message.consumed);
    if (message.closed !== undefined) conn.onSessionClosed(message.closed.reason);
  }
}
