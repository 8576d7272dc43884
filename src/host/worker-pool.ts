import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { UdfDefinition } from '../sdk/index.js';
import { BatchBudget, reclaimPlace } from './batch-budget.js';
import type { FromWorker, TurnMessage, OutMessage, PlaceReloadResult, ToWorker, WorkerSetup } from './messages.js';
import type { RunnerReport } from './observer.js';
import { SessionRunner } from './session-runner.js';
import { METER_BYTES, MeterWatch } from './work-meter.js';

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
  /**
   * A worker that has been in one call into a function for this long without handling another
   * frame is blocked: it is replaced, and the session of that call ends. 0: never (the stall
   * timeout still applies). Snapshots and restores get the stall timeout instead.
   */
  blockTimeoutMs?: number;
  /** Every message a place sends back about a connection. */
  onMessage(message: OutMessage, from: SessionPlace): void;
  /**
   * A worker died or got stuck: these connections have lost their sessions there. `culprit`: the
   * connection in whose call it blocked or died (out of heap, an exit), when it was in one; the
   * others were only its neighbours.
   */
  onLost(connections: number[], reason: string, culprit: number | undefined): void;
  /** The pool's health changed (a slot went down or came up again). */
  onHealth?(): void;
  /** A worker's report, with its heartbeat answer (the main thread's, on {@link WorkerPool.collectInline}). */
  onReport?(slot: number, report: RunnerReport): void;
  /** The worker in this slot was replaced. */
  onReplaced?(slot: number, reason: string): void;
}

/** One place as /status shows it. */
export interface PlaceStatus {
  slot: number;
  label: string;
  connections: number;
  /** Milliseconds since the worker last answered a heartbeat; undefined on the main thread. */
  lastHeartbeatAgoMs?: number;
}

const WORKER_URL = new URL('./worker-entry.js', import.meta.url);

function transferList(message: ToWorker): ArrayBuffer[] {
  if (message.type === 'data') return [message.bytes.buffer as ArrayBuffer];
  if (message.type === 'closes') {
    const buffers = message.messages.flatMap((m) => (m.type === 'data' ? [m.bytes.buffer as ArrayBuffer] : []));
    if (message.recycled !== undefined) buffers.push(...message.recycled);
    return buffers;
  }
  return message.type === 'recycle' ? message.buffers : [];
}

/**
 * Closing answers handled per event-loop turn: each closes a socket (about 50 us on the main
 * thread), and between two slices the loop reads the other connections, whose keepalives would
 * otherwise wait behind thousands of closes. They are the last message of their connection, so
 * handling them a turn later reorders nothing of any connection.
 */
const CLOSES_PER_TURN = 128;

function deliverInSlices(messages: OutMessage[], deliver: (message: OutMessage) => void, from = 0): void {
  const to = Math.min(messages.length, from + CLOSES_PER_TURN);
  for (let i = from; i < to; i++) deliver(messages[i] as OutMessage);
  if (to < messages.length) setImmediate(() => deliverInSlices(messages, deliver, to));
}

/**
 * Written reply buffers wait to ride along with the next turn's reads to their worker. They go
 * in a message of their own only once this many, or this many bytes, are waiting, or after
 * RECYCLE_AFTER_MS without reads: under Kapacitor's writes a reply is written between two holds,
 * and handing its buffer back at once cost a second wake-up of the worker every hold (10,442
 * 'recycle' messages beside 17,008 of reads in one run of mirror-1-kw).
 */
const RECYCLE_BATCH = 64;
const RECYCLE_BYTES = 1 << 20;
const RECYCLE_AFTER_MS = 20;

/** A worker thread running a SessionRunner, watched by heartbeats. */
class ThreadPlace implements SessionPlace {
  readonly connections = new Set<number>();
  lastPong = Date.now();
  /** Killed by the pool for missing heartbeats. */
  stalled = false;
  /** Killed by the pool for being stuck in a call of this connection's session. */
  blocked: { connection: number; forMs: number } | undefined;
  readonly meter = new MeterWatch(new SharedArrayBuffer(METER_BYTES));
  /** Where this place's reports go; set by the pool. */
  onReport: ((report: RunnerReport) => void) | undefined;
  private seq = 0;
  private stopping = false;
  private recycled: ArrayBuffer[] = [];
  private recycledBytes = 0;
  private recycleTimer: NodeJS.Timeout | undefined;
  // Ends and aborts of this event-loop turn, handed over together (see ToWorker 'closes').
  private closing: TurnMessage[] = [];
  readonly worker: Worker;
  readonly ready: Promise<void>;
  /** Set once the worker has loaded its functions and said so; only then does it take sessions. */
  isReady = false;
  private reloading: ((message: Extract<FromWorker, { type: 'reloaded' }>) => void) | undefined;

  constructor(
    readonly label: string,
    private readonly options: WorkerPoolOptions,
    private readonly onExit: (place: ThreadPlace, reason: string) => void,
    /** The worker's slot, which is also its cell in the open-batch budget. */
    slot: number,
  ) {
    const heap = options.workerHeapMb ?? 0;
    // Past the limit V8 ends the worker (ERR_WORKER_OUT_OF_MEMORY) instead of the whole process.
    this.worker = new Worker(WORKER_URL, {
      workerData: { ...options.setup, place: slot, meter: this.meter.buffer } satisfies WorkerSetup,
      ...(heap > 0 ? { resourceLimits: { maxOldGenerationSizeMb: heap } } : {}),
    });
    let failStart: (err: Error) => void = () => undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      failStart = reject;
      const failEarly = (err: Error): void => reject(err);
      this.worker.once('error', failEarly);
      this.worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          this.worker.off('error', failEarly);
          this.lastPong = Date.now();
          this.isReady = true;
          resolve();
        } else if (message.type === 'pong') {
          this.lastPong = Date.now();
          if (message.report !== undefined) this.onReport?.(message.report);
        } else if (message.type === 'reloaded') {
          this.reloading?.(message);
        } else if (message.type === 'outs') {
          deliverInSlices(message.messages, (out) => options.onMessage(out, this));
        } else {
          options.onMessage(message, this);
        }
      });
    });
    let crash = 'worker exited';
    this.worker.on('error', (err) => {
      crash = `worker crashed: ${err.message}`;
      options.logger.error({ worker: label, err: err.message }, 'worker crashed');
    });
    this.worker.on('exit', (code) => {
      const reason = code === 0 ? 'worker exited' : `${crash} (exit code ${code})`;
      if (!this.isReady) failStart(new Error(reason));
      if (!this.stopping) this.onExit(this, reason);
    });
  }

  send(message: ToWorker): void {
    if (message.type === 'data' || message.type === 'end' || message.type === 'abort') {
      // Reads come in the poll phase and setImmediate runs right after it, in the same turn:
      // every read, end and abort of the turn goes over in one message, in order.
      if (this.closing.length === 0) setImmediate(this.flushClosing);
      this.closing.push(message);
      return;
    }
    // Nothing may overtake what this turn has read (an 'open' comes first anyway).
    this.flushClosing();
    this.worker.postMessage(message, transferList(message));
  }

  private readonly flushClosing = (): void => {
    const messages = this.closing;
    this.closing = [];
    if (this.stopping || messages.length === 0) return;
    const turn: ToWorker = { type: 'closes', messages };
    // Buffers waiting to go back ride along: one wake-up of the worker, not two.
    const recycled = this.takeRecycled();
    if (recycled !== undefined) turn.recycled = recycled;
    this.worker.postMessage(turn, transferList(turn));
  };

  written(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0) return;
    this.recycled.push(buffer);
    this.recycledBytes += buffer.byteLength;
    if (this.recycled.length >= RECYCLE_BATCH || this.recycledBytes >= RECYCLE_BYTES) {
      this.flushRecycled();
    } else if (this.recycleTimer === undefined) {
      this.recycleTimer = setTimeout(this.flushRecycled, RECYCLE_AFTER_MS);
      this.recycleTimer.unref();
    }
  }

  /** The buffers waiting to go back, now theirs to send; undefined when none wait. */
  private takeRecycled(): ArrayBuffer[] | undefined {
    if (this.recycleTimer !== undefined) clearTimeout(this.recycleTimer);
    this.recycleTimer = undefined;
    if (this.recycled.length === 0) return undefined;
    const buffers = this.recycled;
    this.recycled = [];
    this.recycledBytes = 0;
    return buffers;
  }

  private readonly flushRecycled = (): void => {
    // Reads of this turn are still to go: they take the buffers along (flushClosing).
    if (this.stopping || this.closing.length > 0) return;
    const buffers = this.takeRecycled();
    if (buffers !== undefined) this.send({ type: 'recycle', buffers });
  };

  /**
   * Asks the worker to reload and waits for its answer; a worker that ends, or does not answer
   * within `timeoutMs`, has not reloaded (one that ends takes its sessions with it anyway).
   */
  reload(message: Extract<ToWorker, { type: 'reload' }>, timeoutMs: number): Promise<PlaceReloadResult> {
    return new Promise((resolve) => {
      const done = (result: PlaceReloadResult): void => {
        clearTimeout(timer);
        this.worker.off('exit', onExit);
        this.reloading = undefined;
        resolve(result);
      };
      const onExit = (): void => done({ place: this.label, ok: false, error: 'the worker ended during the reload' });
      const timer = setTimeout(
        () => done({ place: this.label, ok: false, error: `no answer within ${timeoutMs} ms` }),
        timeoutMs,
      );
      this.worker.once('exit', onExit);
      this.reloading = (answer) => {
        if (answer.generation !== message.generation) return;
        const { type: _type, generation: _generation, ...result } = answer;
        done({ place: this.label, ...result });
      };
      this.send(message);
    });
  }

  /** Pings the worker; returns false when it has missed pings for longer than the stall timeout. */
  heartbeat(now: number): boolean {
    if (now - this.lastPong > this.options.stallTimeoutMs) return false;
    this.send({ type: 'ping', seq: ++this.seq });
    return true;
  }

  async terminate(): Promise<void> {
    this.stopping = true;
    if (this.recycleTimer !== undefined) clearTimeout(this.recycleTimer);
    await this.worker.terminate();
  }

  /** Kills a stuck worker; its 'exit' reports the loss. */
  kill(): void {
    this.stalled = true;
    void this.worker.terminate();
  }

  /** Kills a worker stuck in a call of `connection`'s session; its 'exit' reports the loss. */
  killBlocked(connection: number, forMs: number): void {
    this.blocked = { connection, forMs };
    void this.worker.terminate();
  }
}

/** The main thread as a place: the SessionRunner is called directly, no hand-off. */
class InlinePlace implements SessionPlace {
  readonly label = 'main';
  readonly connections = new Set<number>();
  readonly runner: SessionRunner;

  constructor(options: WorkerPoolOptions, registry: ReadonlyMap<string, UdfDefinition>) {
    const shared = options.setup.openBatches;
    // The main thread's cell comes after every worker slot's.
    const budget = shared !== undefined ? new BatchBudget(shared, options.threads) : undefined;
    this.runner = new SessionRunner(
      registry,
      options.setup.limits,
      options.logger,
      (message) => {
        if (message.type === 'out') options.onMessage(message, this);
      },
      undefined,
      budget,
    );
  }

  send(message: ToWorker): void {
    this.runner.handle(message);
  }

  written(): void {
    // Same thread, nothing to hand back.
  }
}

/** Delays before respawning a worker slot whose replacements keep failing to start. */
const RESPAWN_FIRST_MS = 1000;
const RESPAWN_MAX_MS = 60_000;

/** One worker position of the pool: its current thread, if one is up or starting. */
interface Slot {
  place: ThreadPlace | undefined;
  /** Replacements in a row that failed to start; reset by one that does. */
  failures: number;
  retry: NodeJS.Timeout | undefined;
  lastError: string;
}

/** What the pool can serve with right now. */
export interface PoolHealth {
  /** Worker threads configured. */
  threads: number;
  /** Workers up and taking sessions. */
  up: number;
  /** Slots not started yet: workers start when the first connection needs them. */
  idle: number;
  /** Slots without a working thread, each with why its last start failed. */
  down: Array<{ slot: number; failures: number; error: string }>;
  /** Sessions currently run on the main thread because no worker was up. */
  onMainThread: number;
}

/**
 * Spreads connections over worker threads (least-loaded first), replaces a worker that crashes,
 * exits or stops answering heartbeats, and reports the connections it took with it.
 *
 * A replacement that fails to start (e.g. a function file edited or deleted since the host
 * started, see worker-entry.ts) is retried with a doubling delay instead of at once, and takes no
 * sessions meanwhile: new connections go to the workers that are up, or to the main thread, which
 * still has the functions the host started with, when none is.
 *
 * The workers start with the first connection ({@link WorkerPool.startWorkers}), not with the
 * pool: each holds its own V8 heap and copy of the functions (about 14 MiB at rest), which a host
 * no task has connected to yet does not need. That first connection waits until each worker has
 * come up or failed its start, as the host's start-up once did; from then on the pool is as if
 * it had started them at once.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private inline: InlinePlace | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private blockWatch: NodeJS.Timeout | undefined;
  private spawned = 0;
  private stopped = false;
  // The first start of every slot, once a connection has asked for the workers.
  private starting: Promise<void> | undefined;
  private started = false;
  // The functions as last loaded (a reload replaces them), for sessions on the main thread.
  private registry: ReadonlyMap<string, UdfDefinition>;
  // Reloads so far; a worker started before the last one catches up once it is ready.
  private generation = 0;

  constructor(private readonly options: WorkerPoolOptions) {
    this.registry = options.registry;
  }

  /**
   * Reloads every place: workers import `udfModules` themselves, the main thread takes
   * `registry` (loaded from the same modules). Workers started from now on load the new modules,
   * checked against `moduleDigests`.
   */
  async reload(
    generation: number,
    udfModules: string[],
    moduleDigests: Record<string, string>,
    registry: ReadonlyMap<string, UdfDefinition>,
    timeoutMs: number,
  ): Promise<PlaceReloadResult[]> {
    this.options.setup.udfModules = udfModules;
    this.options.setup.moduleDigests = moduleDigests;
    this.registry = registry;
    this.generation = generation;
    const results: Array<Promise<PlaceReloadResult>> = [];
    if (this.inline !== undefined)
      results.push(
        Promise.resolve({ place: this.inline.label, ok: true, ...this.inline.runner.reload(registry, generation) }),
      );
    for (const slot of this.slots) {
      const place = slot.place;
      if (place?.isReady === true)
        results.push(place.reload({ type: 'reload', generation, udfModules, moduleDigests }, timeoutMs));
    }
    return Promise.all(results);
  }

  async start(): Promise<void> {
    if (this.options.threads === 0) {
      this.inline = new InlinePlace(this.options, this.registry);
      return;
    }
    for (let i = 0; i < this.options.threads; i++)
      this.slots.push({ place: undefined, failures: 0, retry: undefined, lastError: '' });
    this.heartbeat = setInterval(() => this.checkHeartbeats(), this.options.heartbeatMs);
    this.heartbeat.unref();
    const blockMs = this.options.blockTimeoutMs ?? 0;
    if (blockMs > 0) {
      // A look every 100 ms at most (a tenth of a shorter timeout): a block is seen within 110% of it.
      this.blockWatch = setInterval(() => this.checkBlocked(blockMs), Math.max(10, Math.min(100, blockMs / 10)));
      this.blockWatch.unref();
    }
  }

  /**
   * Starts every worker on the first call; the promise settles once each has come up or failed
   * its start (a failed one is retried with the back-off of a failed replacement, and reported
   * down meanwhile). Undefined when there is nothing to wait for: `--threads 0`, a stopped pool,
   * or workers started already. The caller assigns its connection after it.
   */
  startWorkers(): Promise<void> | undefined {
    if (this.started || this.slots.length === 0 || this.stopped) return undefined;
    this.starting ??= Promise.allSettled(this.slots.map((slot) => this.spawnInto(slot).ready)).then(() => {
      this.started = true;
    });
    return this.starting;
  }

  get labels(): string[] {
    if (this.options.threads === 0) return ['main'];
    return this.slots.map((s, i) => s.place?.label ?? `slot-${i + 1} (${this.idle ? 'idle' : 'down'})`);
  }

  /** No worker has been started yet. */
  private get idle(): boolean {
    return this.starting === undefined;
  }

  get health(): PoolHealth {
    const idle = this.idle ? this.slots.length : 0;
    const down = this.idle
      ? []
      : this.slots.flatMap((s, i) =>
          s.place?.isReady === true ? [] : [{ slot: i + 1, failures: s.failures, error: s.lastError }],
        );
    const onMainThread = this.options.threads > 0 ? (this.inline?.connections.size ?? 0) : 0;
    return { threads: this.options.threads, up: this.slots.length - idle - down.length, idle, down, onMainThread };
  }

  describe(): PlaceStatus[] {
    const now = Date.now();
    const out: PlaceStatus[] = this.slots.map((s, slot) => ({
      slot,
      label: s.place?.label ?? `slot-${slot + 1} (${this.idle ? 'idle' : 'down'})`,
      connections: s.place?.connections.size ?? 0,
      ...(s.place !== undefined ? { lastHeartbeatAgoMs: now - s.place.lastPong } : {}),
    }));
    if (this.inline !== undefined)
      out.push({ slot: this.slots.length, label: this.inline.label, connections: this.inline.connections.size });
    return out;
  }

  /** Reports the sessions on the main thread now (workers report with each heartbeat answer). */
  collectInline(): void {
    if (this.inline !== undefined) this.options.onReport?.(this.slots.length, this.inline.runner.report());
  }

  /**
   * Picks the place with the fewest connections for a new connection; with workers configured,
   * after {@link startWorkers} has settled (before, there is none to pick).
   */
  assign(connection: number): SessionPlace {
    let best: SessionPlace | undefined;
    for (const slot of this.slots) {
      const place = slot.place;
      if (place === undefined || !place.isReady) continue;
      if (best === undefined || place.connections.size < best.connections.size) best = place;
    }
    if (best === undefined) {
      if (this.inline === undefined) {
        if (this.slots.length === 0) throw new Error('worker pool is not started');
        if (!this.started) throw new Error('the workers are not started: await startWorkers() first');
        this.options.logger.warn(
          { code: 'KUDF_HOST_NO_WORKER' },
          'no worker is up: new sessions run on the main thread',
        );
        this.inline = new InlinePlace(this.options, this.registry);
      }
      best = this.inline;
    }
    best.connections.add(connection);
    return best;
  }

  release(place: SessionPlace, connection: number): void {
    place.connections.delete(connection);
  }

  /**
   * A place for a session moved off a lost worker: a worker that is up now, else the first of
   * the starting ones to come up (the replacement of the lost one, with one thread), else the
   * main thread as {@link assign} falls back to.
   */
  async placeForMoved(connection: number, waitMs: number): Promise<SessionPlace> {
    const up = this.slots.some((s) => s.place?.isReady === true);
    if (!up) {
      const starting = this.slots.flatMap((s) => (s.place !== undefined ? [s.place.ready] : []));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.any(starting).catch(() => undefined),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs))),
      ]);
      clearTimeout(timer);
    }
    return this.assign(connection);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    if (this.blockWatch !== undefined) clearInterval(this.blockWatch);
    for (const slot of this.slots) clearTimeout(slot.retry);
    await Promise.all(this.slots.map((s) => s.place?.terminate() ?? Promise.resolve()));
  }

  private spawnInto(slot: Slot): ThreadPlace {
    const label = `worker-${++this.spawned}`;
    const generation = this.generation;
    const place = new ThreadPlace(
      label,
      this.options,
      (dead, reason) => this.lost(slot, dead, reason),
      this.slots.indexOf(slot),
    );
    slot.place = place;
    place.onReport = (report) => {
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.options.onReport?.(index, report);
    };
    place.ready.then(
      () => {
        this.options.logger.debug({ worker: label }, 'worker ready');
        if (slot.failures > 0)
          this.options.logger.info({ worker: label, after: slot.failures }, 'worker slot up again');
        slot.failures = 0;
        slot.lastError = '';
        this.options.onHealth?.();
        if (generation !== this.generation) this.catchUp(place);
      },
      (err: unknown) => {
        slot.lastError = (err as Error).message;
        this.options.logger.error({ worker: label, err: slot.lastError }, 'worker failed to start');
      },
    );
    return place;
  }

  /** A worker that started loading before a reload ended: it takes the modules of the last one. */
  private catchUp(place: ThreadPlace): void {
    const { udfModules, moduleDigests = {} } = this.options.setup;
    void place
      .reload(
        { type: 'reload', generation: this.generation, udfModules, moduleDigests },
        this.options.setup.loadTimeoutMs + 5000,
      )
      .then((r) => {
        if (!r.ok)
          this.options.logger.error(
            { worker: place.label, err: r.error, code: 'KUDF_RELOAD_WORKER' },
            'a worker started before the last reload could not take it',
          );
      });
  }

  private lost(slot: Slot, dead: ThreadPlace, reason: string): void {
    if (slot.place !== dead) return;
    slot.place = undefined;
    if (!dead.isReady) {
      // It never served: nothing is lost but the slot, which waits longer after every failure.
      slot.failures++;
      if (slot.lastError === '') slot.lastError = reason;
      const delay = Math.min(RESPAWN_MAX_MS, RESPAWN_FIRST_MS * 2 ** (slot.failures - 1));
      this.options.logger.error(
        {
          worker: dead.label,
          failures: slot.failures,
          retryInMs: delay,
          err: slot.lastError,
          code: 'KUDF_HOST_WORKER_START_FAILED',
        },
        'replacement worker failed to start; retrying later, sessions go to the other workers',
      );
      this.options.onHealth?.();
      if (!this.stopped) {
        slot.retry = setTimeout(() => {
          slot.retry = undefined;
          if (!this.stopped) this.spawnInto(slot);
        }, delay);
        slot.retry.unref();
      }
      return;
    }
    // Its batches died with it: what they held of the host-wide budget is free again.
    const shared = this.options.setup.openBatches;
    if (shared !== undefined) reclaimPlace(shared, this.slots.indexOf(slot));
    const lost = [...dead.connections];
    if (dead.stalled) reason = `stalled: no heartbeat answer for ${this.options.stallTimeoutMs} ms (${reason})`;
    if (dead.blocked !== undefined)
      reason = `blocked: one call into a function made no progress for ${this.options.blockTimeoutMs} ms (--block-timeout)`;
    // The meter's cells outlive the thread: a worker that died in a call (out of heap, an exit)
    // still names the session of that call, as a blocked one does.
    const inCall = dead.meter.busy();
    const culprit = dead.blocked?.connection ?? (inCall > 0 && dead.connections.has(inCall) ? inCall : undefined);
    this.options.logger.error(
      { worker: dead.label, reason, sessions: lost.length, ...(culprit !== undefined ? { culprit } : {}) },
      'worker lost; its other sessions move',
    );
    if (!this.stopped) {
      const fresh = this.spawnInto(slot);
      this.options.logger.info({ worker: fresh.label, replaces: dead.label }, 'worker replaced');
      this.options.onReplaced?.(this.slots.indexOf(slot), reason);
    }
    this.options.onHealth?.();
    this.options.onLost(lost, reason, culprit);
  }

  private checkBlocked(blockMs: number): void {
    const now = Date.now();
    for (const slot of this.slots) {
      const place = slot.place;
      if (place === undefined || !place.isReady || place.blocked !== undefined || place.stalled) continue;
      const stuck = place.meter.stuck(now, blockMs, this.options.stallTimeoutMs);
      if (stuck === undefined) continue;
      this.options.logger.error(
        {
          worker: place.label,
          conn: stuck.id,
          blockTimeoutMs: blockMs,
          stuckMs: stuck.forMs,
          neighbours: place.connections.size - 1,
          code: 'KUDF_HOST_BLOCKED',
        },
        'a function call made no progress for the block timeout: its session ends, the worker is replaced, its other sessions move',
      );
      place.killBlocked(stuck.id, stuck.forMs);
    }
  }

  private checkHeartbeats(): void {
    const now = Date.now();
    for (const slot of this.slots) {
      const place = slot.place;
      if (place !== undefined && place.isReady && !place.heartbeat(now)) {
        this.options.logger.error(
          { worker: place.label, stallTimeoutMs: this.options.stallTimeoutMs },
          'worker stopped answering heartbeats; replacing it',
        );
        place.kill();
      }
    }
  }
}
