import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { UdfDefinition } from '../sdk/define-udf.js';
import type { FromWorker, ToWorker, WorkerSetup } from './messages.js';
import { SessionRunner } from './session-runner.js';

/** Where a connection's session runs: a worker thread, or the main thread with `--threads 0`. */
export interface SessionPlace {
  readonly label: string;
  /** Connections currently assigned here. */
  readonly connections: Set<number>;
  send(message: ToWorker): void;
  /** A reply buffer this place produced has been written to its socket. */
  written(buffer: ArrayBuffer): void;
}

export interface WorkerPoolOptions {
  /** Number of worker threads; 0 runs every session on the main thread. */
  threads: number;
  setup: WorkerSetup;
  /** Old-generation heap limit of each worker in MiB; 0 leaves V8's default. */
  workerHeapMb?: number;
  /** The functions, already loaded on the main thread (used by the inline place). */
  registry: ReadonlyMap<string, UdfDefinition>;
  logger: Logger;
  /** How often the main thread pings each worker. */
  heartbeatMs: number;
  /** A worker that has not answered a ping for this long is stuck and gets replaced. */
  stallTimeoutMs: number;
  /** Every message a place sends back about a connection. */
  onMessage(message: Exclude<FromWorker, { type: 'ready' | 'pong' }>): void;
  /** A worker died or got stuck: these connections have lost their sessions. */
  onLost(connections: number[], reason: string): void;
}

const WORKER_URL = new URL('./worker-entry.js', import.meta.url);

function transferList(message: ToWorker): ArrayBuffer[] {
  if (message.type === 'data') return [message.bytes.buffer as ArrayBuffer];
  return message.type === 'recycle' ? message.buffers : [];
}

/** Written reply buffers are handed back in batches: one message per event-loop turn at most. */
const RECYCLE_BATCH = 64;

/** A worker thread running a SessionRunner, watched by heartbeats. */
class ThreadPlace implements SessionPlace {
  readonly connections = new Set<number>();
  private lastPong = Date.now();
  private seq = 0;
  private stopping = false;
  private recycled: ArrayBuffer[] = [];
  private recycleScheduled = false;
  readonly worker: Worker;
  readonly ready: Promise<void>;

  constructor(
    readonly label: string,
    private readonly options: WorkerPoolOptions,
    private readonly onExit: (place: ThreadPlace, reason: string) => void,
  ) {
    const heap = options.workerHeapMb ?? 0;
    // Past the limit V8 ends the worker (ERR_WORKER_OUT_OF_MEMORY) instead of the whole process.
    this.worker = new Worker(WORKER_URL, { workerData: options.setup, ...(heap > 0 ? { resourceLimits: { maxOldGenerationSizeMb: heap } } : {}) });
    this.ready = new Promise<void>((resolve, reject) => {
      const failEarly = (err: Error): void => reject(err);
      this.worker.once('error', failEarly);
      this.worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          this.worker.off('error', failEarly);
          this.lastPong = Date.now();
          resolve();
        } else if (message.type === 'pong') {
          this.lastPong = Date.now();
        } else {
          options.onMessage(message);
        }
      });
    });
    let crash = 'worker exited';
    this.worker.on('error', (err) => {
      crash = `worker crashed: ${err.message}`;
      options.logger.error({ worker: label, err: err.message }, 'worker crashed');
    });
    this.worker.on('exit', (code) => {
      if (!this.stopping) this.onExit(this, code === 0 ? 'worker exited' : `${crash} (exit code ${code})`);
    });
  }

  send(message: ToWorker): void {
    this.worker.postMessage(message, transferList(message));
  }

  written(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0) return;
    this.recycled.push(buffer);
    if (this.recycled.length >= RECYCLE_BATCH) {
      this.flushRecycled();
    } else if (!this.recycleScheduled) {
      this.recycleScheduled = true;
      setImmediate(() => this.flushRecycled());
    }
  }

  private flushRecycled(): void {
    this.recycleScheduled = false;
    if (this.recycled.length === 0 || this.stopping) return;
    const buffers = this.recycled;
    this.recycled = [];
    this.send({ type: 'recycle', buffers });
  }

  /** Pings the worker; returns false when it has missed pings for longer than the stall timeout. */
  heartbeat(now: number): boolean {
    if (now - this.lastPong > this.options.stallTimeoutMs) return false;
    this.send({ type: 'ping', seq: ++this.seq });
    return true;
  }

  async terminate(): Promise<void> {
    this.stopping = true;
    await this.worker.terminate();
  }

  /** Kills a stuck worker; its 'exit' reports the loss. */
  kill(): void {
    void this.worker.terminate();
  }
}

/** The main thread as a place: the SessionRunner is called directly, no hand-off. */
class InlinePlace implements SessionPlace {
  readonly label = 'main';
  readonly connections = new Set<number>();
  private readonly runner: SessionRunner;

  constructor(options: WorkerPoolOptions) {
    this.runner = new SessionRunner(options.registry, options.setup.limits, options.logger, (message) => {
      if (message.type !== 'ready' && message.type !== 'pong') options.onMessage(message);
    });
  }

  send(message: ToWorker): void {
    this.runner.handle(message);
  }

  written(): void {
    // Same thread, nothing to hand back.
  }
}

/**
 * Spreads connections over worker threads (least-loaded first), replaces a worker that crashes,
 * exits or stops answering heartbeats, and reports the connections it took with it.
 */
export class WorkerPool {
  private readonly places: SessionPlace[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private spawned = 0;
  private stopped = false;

  constructor(private readonly options: WorkerPoolOptions) {}

  async start(): Promise<void> {
    if (this.options.threads === 0) {
      this.places.push(new InlinePlace(this.options));
      return;
    }
    const threads = Array.from({ length: this.options.threads }, () => this.spawn());
    this.places.push(...threads);
    await Promise.all(threads.map((t) => t.ready));
    this.heartbeat = setInterval(() => this.checkHeartbeats(), this.options.heartbeatMs);
    this.heartbeat.unref();
  }

  get labels(): string[] {
    return this.places.map((p) => p.label);
  }

  /** Picks the place with the fewest connections for a new connection. */
  assign(connection: number): SessionPlace {
    let best = this.places[0];
    for (const place of this.places) if (best === undefined || place.connections.size < best.connections.size) best = place;
    if (best === undefined) throw new Error('worker pool is not started');
    best.connections.add(connection);
    return best;
  }

  release(place: SessionPlace, connection: number): void {
    place.connections.delete(connection);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    await Promise.all(this.places.map((p) => (p instanceof ThreadPlace ? p.terminate() : Promise.resolve())));
  }

  private spawn(): ThreadPlace {
    const label = `worker-${++this.spawned}`;
    const place = new ThreadPlace(label, this.options, (dead, reason) => this.replace(dead, reason));
    place.ready.catch((err: unknown) => {
      this.options.logger.error({ worker: label, err: (err as Error).message }, 'worker failed to start');
    });
    return place;
  }

  private replace(dead: ThreadPlace, reason: string): void {
    const index = this.places.indexOf(dead);
    if (index < 0) return;
    const lost = [...dead.connections];
    this.options.logger.error({ worker: dead.label, reason, sessions: lost.length }, 'worker lost; its sessions end');
    if (this.stopped) {
      this.places.splice(index, 1);
    } else {
      const fresh = this.spawn();
      this.places[index] = fresh;
      this.options.logger.info({ worker: fresh.label, replaces: dead.label }, 'worker replaced');
    }
    this.options.onLost(lost, reason);
  }

  private checkHeartbeats(): void {
    const now = Date.now();
    for (const place of this.places) {
      if (place instanceof ThreadPlace && !place.heartbeat(now)) {
        this.options.logger.error({ worker: place.label, stallTimeoutMs: this.options.stallTimeoutMs }, 'worker stopped answering heartbeats; replacing it');
        place.kill();
      }
    }
  }
}
