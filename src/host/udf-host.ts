import { readFileSync } from 'node:fs';
import { link, lstat, rename, unlink } from 'node:fs/promises';
import type { Server, Socket } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { encodeFrame, encodeResponse } from '../protocol/index.js';
import type { UdfDefinition } from '../sdk/index.js';
import { createBatchBudget } from './batch-budget.js';
import { HoldClock } from './hold-clock.js';
import { Connection } from './connection.js';
import { InfoDoor } from './info-door.js';
import { releaseReads } from './read-gate.js';
import type { OutMessage } from './messages.js';
import {
  checkSocketPath,
  claimSocketPath,
  listenUnix,
  lookForStale,
  prepareSocketDir,
  type SocketAccess,
  type StaleLook,
} from './socket-listener.js';
import { loadRegistry, verifyDigests } from './registry.js';
import { ModuleSet } from './module-set.js';
import { infoChanged } from './reload-fit.js';
import { removeHostStatus, writeHostStatus, type ReloadOutcome } from './host-status.js';
import { WorkerPool, type PlaceStatus, type SessionPlace } from './worker-pool.js';
import type { EndReason, HostObserver, LagStats, RunnerReport } from './observer.js';
import type { SessionCounts } from './session.js';

/**
 * After the grace period, how long a session still open may take to answer what was already read
 * from it and have those replies written, before its connection is destroyed.
 */
const SHUTDOWN_FLUSH_MS = 500;

/** File descriptors the host needs besides its connections: logs, listeners, a few per worker. */
function fdReserve(threads: number): number {
  return 32 + 8 * threads;
}

/**
 * The process's open-file limit. Node raises the soft limit to the hard one itself at start
 * (it cannot be raised further without privileges), so this is what the host really has.
 */
function openFileLimit(): { soft: number; hard: number } | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const m = line === undefined ? null : /^Max open files\s+(\S+)\s+(\S+)/.exec(line);
    if (m === null) return undefined;
    const num = (v: string | undefined): number =>
      v === 'unlimited' || v === undefined ? Number.POSITIVE_INFINITY : Number(v);
    return { soft: num(m[1]), hard: num(m[2]) };
  } catch {
    return undefined;
  }
}

/** How long a session moving off a blocked worker waits for a worker to come up before it goes to the main thread. */
const MOVE_WAIT_MS = 10_000;
/**
 * A worker that dies outside any call (a fault the async context cannot trace, a native crash)
 * names no session, so all of its sessions move; one of them may be what killed it. A session
 * under which that has happened this many times ends instead of moving again, so that such a
 * session cannot take down worker after worker.
 */
const MAX_UNBLAMED_LOSSES = 2;

/** Beyond the load timeout, how long a worker may take to answer a reload. */
const RELOAD_ANSWER_MS = 5000;

/** How often the host checks that its socket files are still the ones it created. */
const SOCKET_WATCH_MS = 2000;

/**
 * On by default, with a 500 µs hold: on a quiet 2-core machine, interleaved, it halved the host's
 * CPU per point under Kapacitor's two writes a frame for one connection (mirror 8.06 → 3.94 µs,
 * movingAverage 9.11 → 5.26) and left the chunked cases and 16 connections within noise
 * (bench/README.md, "Holding reads on a clock"). A keepalive behind a held read waits at most
 * the hold more before it is read.
 */
export const DEFAULT_COALESCE_READS_BELOW = 16384;

/** Length of a read hold on the shared hold clock, in microseconds (see ConnectionLimits.holdClock). */
export const DEFAULT_COALESCE_HOLD_MICROS = 500;

/**
 * Longest period of the hold clock, in microseconds, while every hold gathers few frames (see
 * HoldClock); 0: the hold's own, one period. Off by default: under a real Kapacitor 1000 cut the
 * host's CPU in every case measured, but in an interleaved A/B under the load generator the
 * chunked movingAverage cases lost 8-15 % of their rate and the 16-connection keepalive p99 rose
 * (bench/README.md, the levers table).
 */
export const DEFAULT_COALESCE_HOLD_MAX_MICROS = 0;

/**
 * Kapacitor gives up on a function that has not answered a keepalive within 10 s: a function
 * stuck for 3 s is found well before that, and no call into a streaming function should take
 * so long (snapshots and restores get --stall-timeout instead).
 */
export const DEFAULT_BLOCK_TIMEOUT_MS = 3000;

/**
 * On by default: 256 KiB of input (about 1500 to 2500 points) plus one checkpoint of at most
 * that size per connection, 512 KiB at worst and far less for a quiet task, lets a session live
 * on when its worker is replaced for blocking in another session's call.
 */
export const DEFAULT_REPLAY_BYTES = 256 * 1024;

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
  /** Reads smaller than this wait for the session before the next read (0: off); see ConnectionLimits. */
  coalesceReadsBelow?: number;
  /** How long a held read also waits, in microseconds, on one clock shared by every connection (0: only for the session). */
  coalesceHoldMicros?: number;
  /** Longest period of the hold clock, in microseconds (at least `coalesceHoldMicros`). */
  coalesceHoldMaxMicros?: number;
  heartbeatMs: number;
  stallTimeoutMs: number;
  /** A call into a function that makes no progress for this long ends its session; 0: off. */
  blockTimeoutMs?: number;
  /** Bytes of input kept per connection to move its session off a blocked worker; 0: none. */
  replayBytes?: number;
  logger: Logger;
  logLevel: string;
  /** Told about connections, sessions, counts and workers (metrics, task recovery). */
  observer?: HostObserver;
  /** Connections served at once; one more is answered with an ErrorResponse and closed. */
  maxConnections: number;
  /** A connection sending neither Info nor Init for this long is closed. */
  initTimeoutMs: number;
  maxBatchPoints: number;
  maxBatchBytes: number;
  /** Host-wide budget for points held in open batches (encoded size plus their decoded form); none when absent. */
  maxOpenBatchBytes?: number;
  /** Host-wide budget for large frames received only in part. */
  maxPartialBytes: number;
  frameTimeoutMs: number;
  /** Old-generation heap limit of each worker, in MiB (V8's default when 0). */
  workerHeapMb: number;
  loadTimeoutMs: number;
  /** The workers log in this format (the main thread's); absent: pretty only on a terminal. */
  logFormat?: 'json' | 'pretty';
}

/** Frames up to this size never count against the partial-frame budget (see PartialFrameBudget). */
const PARTIAL_FRAME_FLOOR = 1 << 20;

/** Limit warnings repeat at most this often, each with the count since the last one. */
const LIMIT_LOG_EVERY_MS = 10_000;

/**
 * A warning that a limit was hit, logged when it first happens and then at most once per
 * interval with how many times it happened meanwhile, so a flood cannot flood the log too.
 */
class LimitLog {
  private count = 0;
  private total = 0;
  private last = 0;

  constructor(
    private readonly logger: Logger,
    private readonly level: 'warn' | 'error',
    private readonly fields: Record<string, unknown>,
    private readonly msg: string,
  ) {}

  hit(extra: Record<string, unknown> = {}): void {
    this.count++;
    this.total++;
    const now = Date.now();
    if (now - this.last < LIMIT_LOG_EVERY_MS) return;
    this.last = now;
    this.logger[this.level]({ ...this.fields, ...extra, count: this.count, total: this.total }, this.msg);
    this.count = 0;
  }

  get hits(): number {
    return this.total;
  }
}

/** What the host is doing now, as /status shows it. No option value or secret is in it. */
export interface HostOpsStatus {
  /** Every socket listens and the host is not shutting down. */
  ready: boolean;
  functions: Array<{ name: string; socket: string }>;
  sessions: Array<
    {
      connection: number;
      function: string;
      /** Set once Init arrived; Kapacitor's start-up Info connections have none. */
      taskID?: string;
      nodeID?: string;
      worker: string;
      openedAt: string;
      /** The last keepalive read (answered on the main thread; absent with --threads 0). */
      lastKeepaliveAt?: string;
      bytesInFlight: number;
    } & SessionCounts
  >;
  workers: Array<PlaceStatus & { eventLoopLag?: LagStats }>;
  /** The last reload of the function code, once there was one. */
  lastReload?: ReloadOutcome;
}

/** The main thread's view of one connection's session, brought up to date by the workers' reports. */
interface SessionMeta {
  udf: string;
  openedAt: number;
  task: { taskID: string; nodeID: string } | undefined;
  counts: SessionCounts;
  ended: EndReason | undefined;
  /** Workers lost under this session with no call to blame (see {@link MAX_UNBLAMED_LOSSES}). */
  unblamedLosses: number;
}

/** A connection read on the main thread until it asks for more than Info (see InfoDoor). */
interface AtDoor {
  id: number;
  meta: SessionMeta;
  door: InfoDoor;
}

const NO_COUNTS: SessionCounts = { requests: 0, pointsIn: 0, pointsOut: 0, batchesIn: 0, batchesOut: 0 };

/** What the host knows of a connection it has just accepted. */
function freshMeta(udf: string): SessionMeta {
  return { udf, openedAt: Date.now(), task: undefined, counts: NO_COUNTS, ended: undefined, unblamedLosses: 0 };
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
  private readonly servers: Array<{ server: Server; path: string; ino: number; reported?: boolean }> = [];
  private socketWatch: NodeJS.Timeout | undefined;
  private statusWrites: Promise<void> = Promise.resolve();
  private readonly connections = new Map<number, Connection>();
  private readonly meta = new Map<number, SessionMeta>();
  private readonly lag = new Map<number, LagStats>();
  private ready = false;
  // Connections accepted while the workers they wait for are starting.
  private awaitingWorkers = 0;
  // Connections read on the main thread before any of them needed a worker.
  private readonly doors = new Map<number, AtDoor>();
  private workersWanted = false;
  private pool: WorkerPool | undefined;
  private nextId = 1;
  private stopping: Promise<void> | undefined;
  private readonly partialFrames;
  private holdClock: HoldClock | undefined;
  // --max-connections, lowered at start to what the open-file limit allows.
  private maxConnections: number;
  private limitReason: string;
  private readonly overLimit: LimitLog;
  private readonly acceptFailed: LimitLog;
  private registry: ReadonlyMap<string, UdfDefinition>;
  private modules: ModuleSet = ModuleSet.empty;
  private generation = 0;
  private reloads: Promise<void> = Promise.resolve();
  private lastReload: ReloadOutcome | undefined;

  constructor(private readonly options: UdfHostOptions) {
    this.partialFrames = { used: 0, maxBytes: options.maxPartialBytes, floorBytes: PARTIAL_FRAME_FLOOR };
    this.maxConnections = options.maxConnections;
    this.registry = options.registry;
    this.limitReason = `--max-connections ${options.maxConnections}`;
    this.overLimit = new LimitLog(
      options.logger,
      'warn',
      { code: 'KUDF_HOST_MAX_CONNECTIONS' },
      'connection refused: too many connections',
    );
    this.acceptFailed = new LimitLog(
      options.logger,
      'error',
      { code: 'KUDF_HOST_ACCEPT_FAILED' },
      'cannot accept a connection (out of file descriptors?)',
    );
  }

  /** Connections refused over --max-connections and accepts that failed (EMFILE), since start. */
  get refusals(): { maxConnections: number; acceptFailed: number } {
    return { maxConnections: this.overLimit.hits, acceptFailed: this.acceptFailed.hits };
  }

  async start(): Promise<ServedSocket[]> {
    const { options } = this;
    const paths = [...options.registry.keys()].map((udf) => ({ udf, path: join(options.socketDir, `${udf}.sock`) }));
    // Nothing is created before every path is known to fit.
    for (const { path } of paths) checkSocketPath(path);
    this.modules = await ModuleSet.of(options.udfModules);
    const createdDir = await prepareSocketDir(options.socketDir, options.access);
    if (createdDir) options.logger.debug({ socketDir: options.socketDir }, 'socket directory created');
    this.pool = new WorkerPool({
      threads: options.threads,
      setup: {
        udfModules: options.udfModules,
        limits: {
          maxFrameBytes: options.maxFrameBytes,
          initTimeoutMs: options.initTimeoutMs,
          maxBatchPoints: options.maxBatchPoints,
          maxBatchBytes: options.maxBatchBytes,
          replayBytes: options.replayBytes ?? 0,
        },
        loadTimeoutMs: options.loadTimeoutMs,
        ...(options.maxOpenBatchBytes !== undefined
          ? { openBatches: createBatchBudget(options.maxOpenBatchBytes, options.threads + 1) }
          : {}),
        moduleDigests: { ...this.modules.digests },
        logLevel: options.logLevel,
        logFd: 1,
        ...(options.logFormat !== undefined ? { logFormat: options.logFormat } : {}),
      },
      workerHeapMb: options.workerHeapMb,
      registry: options.registry,
      logger: options.logger,
      heartbeatMs: options.heartbeatMs,
      stallTimeoutMs: options.stallTimeoutMs,
      blockTimeoutMs: options.blockTimeoutMs ?? 0,
      onMessage: (message, from) => this.fromPlace(message, from),
      onLost: (ids, reason, culprit) => {
        for (const id of ids) {
          const conn = this.connections.get(id);
          const m = this.meta.get(id);
          let said = reason;
          if (id !== culprit && conn !== undefined && m !== undefined) {
            if (culprit === undefined) m.unblamedLosses++;
            const why =
              m.unblamedLosses >= MAX_UNBLAMED_LOSSES
                ? `its worker was lost ${m.unblamedLosses} times while it ran, with no call to blame`
                : conn.suspend();
            if (why === undefined) {
              void this.move(conn, reason);
              continue;
            }
            said = `${reason}, ${culprit !== undefined ? 'in another session of its worker' : 'outside any call'}; this one could not move: ${why}`;
          }
          if (m !== undefined && m.ended === undefined) {
            m.ended = 'lost';
            options.observer?.errorResponse?.(m.udf, 'lost');
          }
          conn?.onSessionLost(said);
        }
      },
      onHealth: () => void this.writeStatus(),
      onReport: (slot, report) => this.onReport(slot, report),
      onReplaced: (slot, reason) => options.observer?.workerReplaced?.(slot, reason),
    });
    const claims: ServedSocket[] = [];
    try {
      await this.pool.start();
      // Each path is claimed right before it is listened on, one after the other in the same
      // order as any host with this config, so that another host starting at the same time finds
      // either a live socket or none, never one this host is about to replace, and one of the two
      // gets every path. Only the first probe of each stale file is taken for all at once: after a
      // crash every function's file is stale, and each would wait STALE_RECHECK_MS in turn.
      const looks = await Promise.all(paths.map(({ path }) => lookForStale(path)));
      for (const [i, { udf, path }] of paths.entries()) claims.push(await this.listenFor(udf, path, looks[i]));
    } catch (err) {
      await this.stop(0);
      throw err;
    }
    for (const claim of claims) {
      options.logger.info(
        { udf: claim.udf, socket: claim.path, replacedStale: claim.replacedStale },
        'serving function',
      );
    }
    this.ready = true;
    // At the open-file limit libuv accepts and drops connections with nothing said (its EMFILE
    // trick), so the host keeps its connections under that limit and refuses the rest itself.
    const fds = openFileLimit();
    const byFds = fds === undefined ? Number.POSITIVE_INFINITY : Math.max(1, fds.soft - fdReserve(options.threads));
    if (byFds < options.maxConnections) {
      this.maxConnections = byFds;
      this.limitReason = `the open-file limit of ${fds?.soft} allows ${byFds}`;
      options.logger.warn(
        {
          fdLimit: fds?.soft,
          fdHardLimit: fds?.hard,
          maxConnections: options.maxConnections,
          allowed: byFds,
          code: 'KUDF_HOST_FD_LIMIT',
        },
        'the open-file limit allows fewer connections than --max-connections: raise it (ulimit -n, docker --ulimit nofile) or lower --max-connections',
      );
    }
    options.logger.info(
      {
        sockets: claims.map((c) => c.path),
        workers: this.pool.labels,
        maxConnections: this.maxConnections,
        fdLimit: fds?.soft,
        fdHardLimit: fds?.hard,
      },
      'host ready',
    );
    await this.writeStatus();
    this.socketWatch = setInterval(() => void this.checkSocketFiles(), SOCKET_WATCH_MS);
    this.socketWatch.unref();
    return claims;
  }

  private async listenFor(udf: string, path: string, earlier?: StaleLook): Promise<ServedSocket> {
    const replacedStale = (await claimSocketPath(path, { earlier })) === 'replaced-stale';
    if (replacedStale)
      this.options.logger.warn({ udf, socket: path }, 'replaced a stale socket file (nothing answered on it)');
    const server = await listenUnix(path, this.options.access, (socket) => this.accept(udf, socket));
    // accept() failing (EMFILE, ENFILE) is reported here; without a listener it would be thrown.
    server.on('error', (err: NodeJS.ErrnoException) =>
      this.acceptFailed.hit({ socket: path, err: err.code ?? err.message }),
    );
    this.servers.push({ server, path, ino: (await lstat(path)).ino });
    return { udf, path, replacedStale };
  }

  /**
   * Re-reads the function modules (`listModules`: the built-ins and the files of --udf-dir as
   * they are now) and moves running sessions of changed functions to their new code (see
   * SessionRunner.reload), without ending a task. Only changed files are imported again. A file
   * that fails to load leaves everything as it was. A new function gets its socket now, but
   * Kapacitor learns of it, and of changed options or edge types, only at its own start-up.
   * `select` narrows the functions as --functions does. Reloads run one at a time.
   */
  reload(listModules: () => Promise<readonly string[]>, select?: readonly string[]): Promise<ReloadOutcome> {
    const run = this.reloads.then(() => this.reloadNow(listModules, select));
    this.reloads = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async reloadNow(
    listModules: () => Promise<readonly string[]>,
    select: readonly string[] | undefined,
  ): Promise<ReloadOutcome> {
    const pool = this.pool;
    const log = this.options.logger;
    const generation = ++this.generation;
    const failed = (err: unknown): ReloadOutcome => {
      const e = err as Error & { code?: string; file?: string };
      const outcome: ReloadOutcome = {
        generation,
        at: new Date().toISOString(),
        outcome: 'failed',
        error: e.message ?? String(err),
        changed: [],
        added: [],
        removed: [],
        moved: 0,
        kept: 0,
        deferred: 0,
        restartKapacitorFor: [],
      };
      log.error(
        {
          generation,
          err: outcome.error,
          code: 'KUDF_RELOAD_FAILED',
          ...(e.file !== undefined ? { file: e.file } : {}),
        },
        'reload failed: every function and session stays as it was',
      );
      return this.reloaded(outcome);
    };
    if (pool === undefined || this.stopping !== undefined) return failed(new Error('the host is not serving'));
    let next: Awaited<ReturnType<ModuleSet['next']>>;
    let loaded: Map<string, UdfDefinition>;
    try {
      next = await this.modules.next(await listModules(), generation);
      loaded = await loadRegistry(next.set.urls, this.options.loadTimeoutMs);
      // A file written again while it was imported: what runs must be what the digest says.
      await verifyDigests(next.set.digests);
    } catch (err) {
      return failed(err);
    }
    const current = this.registry;
    const wanted = select === undefined ? loaded : new Map([...loaded].filter(([name]) => select.includes(name)));
    const changed = [...wanted]
      .filter(([name, def]) => current.has(name) && current.get(name) !== def)
      .map(([name]) => name);
    const added = [...wanted.keys()].filter((name) => !current.has(name));
    const removed = [...current.keys()].filter((name) => !wanted.has(name));
    const restartKapacitorFor = [
      ...added,
      ...changed.filter((name) => infoChanged(current.get(name) as UdfDefinition, wanted.get(name) as UdfDefinition)),
    ];
    const merged = new Map(current);
    for (const [name, def] of wanted) merged.set(name, def);
    const served: ServedSocket[] = [];
    for (const udf of added) {
      try {
        served.push(await this.listenFor(udf, join(this.options.socketDir, `${udf}.sock`)));
      } catch (err) {
        merged.delete(udf);
        log.error(
          { udf, err: (err as Error).message, code: 'KUDF_RELOAD_SOCKET' },
          'cannot serve a new function found by the reload',
        );
      }
    }
    const places = await pool.reload(
      generation,
      next.set.urls,
      { ...next.set.digests },
      merged,
      this.options.loadTimeoutMs + RELOAD_ANSWER_MS,
    );
    this.modules = next.set;
    this.registry = merged;
    const sum = (key: 'moved' | 'kept' | 'deferred'): number => places.reduce((n, p) => n + (p.ok ? p[key] : 0), 0);
    const refused = places.filter((p): p is Extract<typeof p, { ok: false }> => !p.ok);
    const outcome: ReloadOutcome = {
      generation,
      at: new Date().toISOString(),
      outcome: refused.length > 0 ? 'partial' : changed.length + added.length === 0 ? 'unchanged' : 'ok',
      ...(refused.length > 0 ? { error: refused.map((p) => `${p.place}: ${p.error}`).join('; ') } : {}),
      changed,
      added: served.map((s) => s.udf),
      removed,
      moved: sum('moved'),
      kept: sum('kept'),
      deferred: sum('deferred'),
      restartKapacitorFor,
    };
    for (const p of refused)
      log.error(
        { generation, worker: p.place, err: p.error, code: 'KUDF_RELOAD_WORKER' },
        'a worker could not reload: its sessions stay on the code they run',
      );
    for (const s of served) log.info({ udf: s.udf, socket: s.path }, 'serving function');
    if (removed.length > 0)
      log.warn(
        { generation, functions: removed },
        'functions no longer found are still served with the code loaded before, until the host restarts',
      );
    const { error: _error, ...fields } = outcome;
    log.info(
      { ...fields, files: next.changedFiles.length },
      restartKapacitorFor.length > 0
        ? `functions reloaded; Kapacitor reads function options only at its start-up: restart Kapacitor to use ${restartKapacitorFor.join(', ')} as now defined`
        : 'functions reloaded',
    );
    return this.reloaded(outcome);
  }

  private reloaded(outcome: ReloadOutcome): ReloadOutcome {
    this.lastReload = outcome;
    this.options.observer?.reloaded?.(outcome);
    void this.writeStatus();
    return outcome;
  }

  /**
   * Stops accepting, lets open sessions finish for up to `graceMs`, then closes what is left,
   * stops the workers and removes the socket files.
   */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= this.shutdown(graceMs);
    return this.stopping;
  }

  /** Task IDs with a live session now. */
  liveTasks(): Set<string> {
    const ids = new Set<string>();
    for (const m of this.meta.values()) if (m.task !== undefined && m.ended === undefined) ids.add(m.task.taskID);
    return ids;
  }

  /** Brings counts up to date (sessions on the main thread report only when asked) and describes the host. */
  status(): HostOpsStatus {
    this.pool?.collectInline();
    const sessions: HostOpsStatus['sessions'] = [];
    for (const [id, conn] of this.connections) {
      const m = this.meta.get(id);
      if (m === undefined) continue;
      sessions.push({
        connection: id,
        function: m.udf,
        ...(m.task !== undefined ? { taskID: m.task.taskID, nodeID: m.task.nodeID } : {}),
        worker: conn.place.label,
        openedAt: new Date(m.openedAt).toISOString(),
        ...(conn.lastKeepaliveAt !== undefined
          ? { lastKeepaliveAt: new Date(conn.lastKeepaliveAt).toISOString() }
          : {}),
        bytesInFlight: conn.bytesInFlight,
        ...m.counts,
      });
    }
    for (const { id, meta } of this.doors.values())
      sessions.push({
        connection: id,
        function: meta.udf,
        worker: 'main',
        openedAt: new Date(meta.openedAt).toISOString(),
        bytesInFlight: 0,
        ...meta.counts,
      });
    const workers = (this.pool?.describe() ?? []).map((w) => {
      const lag = this.lag.get(w.slot);
      return lag === undefined ? w : { ...w, eventLoopLag: lag };
    });
    return {
      ready: this.ready && this.stopping === undefined,
      functions: [...this.registry.keys()].map((name) => ({
        name,
        socket: join(this.options.socketDir, `${name}.sock`),
      })),
      sessions,
      workers,
      ...(this.lastReload !== undefined ? { lastReload: this.lastReload } : {}),
    };
  }

  private onReport(slot: number, report: RunnerReport): void {
    const observer = this.options.observer;
    for (const s of report.sessions) this.count(s.id, s.counts);
    if (report.lag !== undefined) {
      this.lag.set(slot, report.lag);
      observer?.workerLag?.(slot, report.lag);
    }
    if (observer === undefined) return;
    for (const e of report.initFailures) observer.initFailed?.(e.udf);
    for (const e of report.errors) observer.errorResponse?.(e.udf, e.kind);
    for (const e of report.snapshots) observer.snapshot?.(e.udf, e.bytes, e.seconds);
  }

  /** Takes a session's latest running counts and tells the observer what they added. */
  private count(id: number, counts: SessionCounts): void {
    const m = this.meta.get(id);
    if (m === undefined) return;
    const before = m.counts;
    m.counts = { ...counts };
    const delta: SessionCounts = {
      requests: Math.max(0, counts.requests - before.requests),
      pointsIn: Math.max(0, counts.pointsIn - before.pointsIn),
      pointsOut: Math.max(0, counts.pointsOut - before.pointsOut),
      batchesIn: Math.max(0, counts.batchesIn - before.batchesIn),
      batchesOut: Math.max(0, counts.batchesOut - before.batchesOut),
    };
    if (delta.requests + delta.pointsIn + delta.pointsOut + delta.batchesIn + delta.batchesOut > 0)
      this.options.observer?.counted?.(m.udf, delta);
  }

  private async shutdown(graceMs: number): Promise<void> {
    const log = this.options.logger;
    log.info({ sessions: this.connections.size, graceMs }, 'shutting down: no new connections');
    if (this.socketWatch !== undefined) clearInterval(this.socketWatch);
    // close() stops accepting at once, but its callback waits for every open connection: wait
    // for it only once the connections are gone, or shutdown would never end while a task is open.
    const { listenersClosed } = await this.closeListeners();
    for (const { door } of this.doors.values()) door.close();
    const open = [...this.connections.values()];
    if (open.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), graceMs)));
      const outcome = await Promise.race([
        Promise.all(open.map((c) => c.closed)).then(() => 'drained' as const),
        deadline,
      ]);
      clearTimeout(timer);
      if (outcome === 'deadline') {
        const left = [...this.connections.values()];
        log.warn({ sessions: left.length }, 'grace period over: closing the sessions still open');
        await Promise.all(left.map((c) => c.closeForShutdown(SHUTDOWN_FLUSH_MS)));
      }
    }
    await listenersClosed;
    await this.pool?.stop();
    this.holdClock?.close();
    // Only a socket file that is still the one this host made: never one another process put there.
    await Promise.all(
      this.servers.map(async ({ path, ino }) => {
        const info = await lstat(path).catch(() => undefined);
        if (info?.ino === ino) await unlink(path).catch(() => undefined);
      }),
    );
    await this.statusWrites;
    await removeHostStatus(this.options.socketDir);
    log.info({}, 'host stopped; socket files removed');
  }

  /** Writes the pool's health for `kudf health`; writes are queued, so the last state wins. */
  private writeStatus(): Promise<void> {
    const pool = this.pool;
    if (pool === undefined || this.stopping !== undefined) return this.statusWrites;
    const health = pool.health;
    this.statusWrites = this.statusWrites
      .then(() =>
        writeHostStatus(this.options.socketDir, {
          pid: process.pid,
          state: health.down.length > 0 ? 'degraded' : 'ok',
          ...health,
          ...(this.lastReload !== undefined ? { lastReload: this.lastReload } : {}),
        }),
      )
      .catch((err: unknown) =>
        this.options.logger.warn({ err: (err as Error).message }, 'cannot write the host status file'),
      );
    if (health.down.length > 0)
      this.options.logger.warn({ ...health, code: 'KUDF_HOST_DEGRADED' }, 'host degraded: not every worker is up');
    return this.statusWrites;
  }

  /**
   * Stops accepting. Closing a Unix socket server unlinks its path, whoever's file is there by
   * then (libuv does it): a socket another process has put at one of our paths is kept under a
   * temporary hard link across the close and put back, so shutdown never removes it.
   */
  private async closeListeners(): Promise<{ listenersClosed: Promise<unknown> }> {
    const kept: Array<{ path: string; keep: string }> = [];
    for (const { path, ino } of this.servers) {
      const info = await lstat(path).catch(() => undefined);
      if (info === undefined || info.ino === ino) continue;
      const keep = `${path}.keep-${process.pid}`;
      try {
        await link(path, keep);
        kept.push({ path, keep });
      } catch (err) {
        this.options.logger.error(
          { socket: path, err: (err as Error).message },
          'cannot protect a socket file another process put at this path; closing will remove it',
        );
      }
    }
    const listenersClosed = Promise.all(
      this.servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
    for (const { path, keep } of kept) {
      await rename(keep, path).catch((err: unknown) =>
        this.options.logger.error(
          { socket: path, kept: keep, err: (err as Error).message },
          'cannot put back a socket file of another process',
        ),
      );
    }
    return { listenersClosed };
  }

  /**
   * A socket file removed or replaced from outside leaves this host serving a path nobody can
   * reach any more: say so, once per path, instead of going on in silence.
   */
  private async checkSocketFiles(): Promise<void> {
    for (const entry of this.servers) {
      if (entry.reported === true || this.stopping !== undefined) continue;
      const info = await lstat(entry.path).catch(() => undefined);
      if (info?.ino === entry.ino) continue;
      entry.reported = true;
      this.options.logger.error(
        { socket: entry.path, code: info === undefined ? 'KUDF_SOCKET_REMOVED' : 'KUDF_SOCKET_REPLACED' },
        info === undefined
          ? 'socket file removed by another process: new connections cannot reach this host'
          : 'socket file replaced by another process: new connections go elsewhere',
      );
    }
  }

  private accept(udf: string, socket: Socket): void {
    const pool = this.pool;
    if (pool === undefined || this.stopping !== undefined) {
      socket.destroy();
      return;
    }
    if (this.connections.size + this.awaitingWorkers + this.doors.size >= this.maxConnections) {
      this.overLimit.hit({ udf, maxConnections: this.maxConnections });
      // The reply goes to the kernel at once (a fresh socket has room), and the descriptor is
      // closed at once: in a burst of accepts, refused connections must not use up descriptors.
      socket.on('error', () => undefined);
      socket.write(
        encodeFrame(
          encodeResponse({
            kind: 'error',
            error: `${udf}: too many connections (${this.maxConnections}: ${this.limitReason})`,
          }),
        ),
      );
      socket.destroy();
      return;
    }
    if (this.options.threads > 0 && !this.workersWanted) this.atDoor(pool, udf, socket);
    else this.serve(pool, udf, socket);
  }

  /**
   * Answers Info on the main thread until the connection asks for more: Kapacitor's start-up
   * connections and health probes then never start a worker.
   */
  private atDoor(pool: WorkerPool, udf: string, socket: Socket): void {
    const id = this.nextId++;
    const meta = freshMeta(udf);
    const observer = this.options.observer;
    const door = new InfoDoor(socket, udf, {
      maxFrameBytes: this.options.maxFrameBytes,
      initTimeoutMs: this.options.initTimeoutMs,
      frameTimeoutMs: this.options.frameTimeoutMs,
      definition: () => this.registry.get(udf),
      log: this.options.logger.child({ conn: id, udf, place: 'main' }),
      onInfo: () => {
        meta.counts = { ...meta.counts, requests: meta.counts.requests + 1 };
        observer?.counted?.(udf, { ...NO_COUNTS, requests: 1 });
      },
      onHandOver: () => {
        this.doors.delete(id);
        // The session counts from its own start; what was answered here is counted already.
        meta.counts = NO_COUNTS;
        this.serve(pool, udf, socket, { id, meta });
      },
      onEnded: (reason, kind) => {
        this.doors.delete(id);
        if (kind !== undefined) observer?.errorResponse?.(udf, kind);
        observer?.connectionEnded?.(
          udf,
          this.stopping !== undefined && reason !== 'error' ? 'shutdown' : reason,
          undefined,
        );
      },
    });
    this.doors.set(id, { id, meta, door });
    observer?.connectionOpened?.(udf);
  }

  /** Serves a connection on the workers, starting them first if none is yet. */
  private serve(pool: WorkerPool, udf: string, socket: Socket, from?: { id: number; meta: SessionMeta }): void {
    this.workersWanted = true;
    const starting = pool.startWorkers();
    if (starting !== undefined) {
      // The first connection starts the workers; it (and any arriving meanwhile) is assigned once
      // they are up. Its bytes wait in the kernel: nothing reads the socket before then.
      this.awaitingWorkers++;
      socket.on('error', () => undefined);
      void starting.then(() => {
        this.awaitingWorkers--;
        // A peer that closed before sending a byte has nothing to serve, and its 'end' has been
        // emitted already: a Connection made now would wait for it until --init-timeout.
        if (this.stopping !== undefined || socket.destroyed || socket.readableEnded) {
          socket.destroy();
          if (from !== undefined)
            this.options.observer?.connectionEnded?.(udf, this.stopping !== undefined ? 'shutdown' : 'peer', undefined);
        } else this.open(pool, udf, socket, from);
      });
      return;
    }
    this.open(pool, udf, socket, from);
  }

  private open(pool: WorkerPool, udf: string, socket: Socket, from?: { id: number; meta: SessionMeta }): void {
    const id = from?.id ?? this.nextId++;
    const place = pool.assign(id);
    const log = this.options.logger.child({ conn: id, udf, place: place.label });
    log.debug({}, 'connection accepted');
    const holdClock = this.holdClockFor();
    const conn = new Connection(id, socket, udf, place, log, {
      highWaterMark: this.options.highWaterMark,
      maxFrameBytes: this.options.maxFrameBytes,
      fastKeepalives: this.options.threads > 0,
      partialFrames: this.partialFrames,
      frameTimeoutMs: this.options.frameTimeoutMs,
      coalesceReadsBelow: this.options.coalesceReadsBelow ?? DEFAULT_COALESCE_READS_BELOW,
      ...(holdClock !== undefined ? { holdClock } : {}),
      replayBytes: this.options.threads > 0 ? (this.options.replayBytes ?? 0) : 0,
    });
    this.connections.set(id, conn);
    const observer = this.options.observer;
    const meta = from?.meta ?? freshMeta(udf);
    this.meta.set(id, meta);
    if (from === undefined) observer?.connectionOpened?.(udf);
    if (observer?.keepalive !== undefined) conn.onKeepalive = (seconds) => observer.keepalive?.(udf, seconds);
    void conn.closed.then(() => {
      this.connections.delete(id);
      this.meta.delete(id);
      pool.release(conn.place, id);
      observer?.connectionEnded?.(udf, meta.ended ?? (this.stopping !== undefined ? 'shutdown' : 'peer'), meta.task);
    });
    // Held at the door, with what it read and did not answer put back in front.
    if (from !== undefined) releaseReads(socket);
  }

  /** The shared hold clock, started with the first connection that holds reads. */
  private holdClockFor(): HoldClock | undefined {
    const micros = this.options.coalesceHoldMicros ?? DEFAULT_COALESCE_HOLD_MICROS;
    if (micros <= 0 || (this.options.coalesceReadsBelow ?? DEFAULT_COALESCE_READS_BELOW) <= 0) return undefined;
    const longest = Math.max(micros, this.options.coalesceHoldMaxMicros ?? DEFAULT_COALESCE_HOLD_MAX_MICROS);
    this.holdClock ??= new HoldClock(micros, longest);
    return this.holdClock;
  }

  /**
   * Moves a session off a worker replaced for blocking in another session's call, once a place
   * for it is up; Kapacitor sees nothing of it but a pause in the replies.
   */
  private async move(conn: Connection, reason: string): Promise<void> {
    const pool = this.pool;
    if (pool === undefined) return;
    const t0 = Date.now();
    const from = conn.place;
    const place = await pool.placeForMoved(conn.id, MOVE_WAIT_MS);
    pool.release(from, conn.id);
    const outcome = conn.moveTo(place);
    if (typeof outcome === 'string') {
      pool.release(place, conn.id);
      const m = this.meta.get(conn.id);
      if (m !== undefined && m.ended === undefined) {
        m.ended = 'lost';
        this.options.observer?.errorResponse?.(m.udf, 'lost');
      }
      conn.onSessionLost(`${reason}; this one could not move: ${outcome}`);
      return;
    }
    this.options.logger.info(
      {
        conn: conn.id,
        udf: conn.udf,
        ...this.meta.get(conn.id)?.task,
        from: from.label,
        to: place.label,
        ms: Date.now() - t0,
        why: reason,
        replayedBytes: outcome.replayed,
        skippedFrames: outcome.skipped,
        code: 'KUDF_HOST_SESSION_MOVED',
      },
      'session moved to another worker',
    );
  }

  private fromPlace(message: OutMessage, from: SessionPlace): void {
    const conn = this.connections.get(message.id);
    // A lost worker's last messages, once its sessions have moved, are not theirs any more.
    if (conn === undefined || conn.place !== from) return;
    const meta = this.meta.get(message.id);
    if (meta !== undefined) {
      if (message.started !== undefined) {
        meta.task = message.started;
        this.options.observer?.sessionStarted?.(meta.udf, message.started.taskID, message.started.nodeID);
      }
      if (message.closed !== undefined) {
        this.count(message.id, message.closed.counts);
        meta.ended ??= message.closed.reason;
      }
    }
    conn.onOut(message.bytes, message.consumed, message.frames, message.checkpoint);
    if (message.closed !== undefined) conn.onSessionClosed(message.closed.reason);
  }
}
