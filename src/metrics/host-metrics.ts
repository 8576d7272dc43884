import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type {
  EndReason,
  ErrorKind,
  HostObserver,
  HostOpsStatus,
  LagStats,
  ReloadOutcome,
  SessionCounts,
} from '../host/index.js';

/** Keepalive replies: well under a millisecond when idle, tens of milliseconds behind a backlog. */
const KEEPALIVE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const SNAPSHOT_SECONDS_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];
const SNAPSHOT_BYTES_BUCKETS = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216];

/** Every member of a string union: the compiler checks the Record holds each one and no other. */
const members = <T extends string>(all: Record<T, true>): readonly T[] => Object.keys(all) as T[];

const END_REASONS = members<EndReason>({ eof: true, error: true, lost: true, peer: true, shutdown: true });
const ERROR_KINDS = members<ErrorKind>({ frame: true, request: true, protocol: true, function: true, lost: true });
type RestartReason = 'crash' | 'exit' | 'stall' | 'block';
const RESTART_REASONS = members<RestartReason>({ crash: true, exit: true, stall: true, block: true });
const RELOAD_OUTCOMES = members<ReloadOutcome['outcome']>({ ok: true, unchanged: true, partial: true, failed: true });
const RELOAD_RESULTS = ['moved', 'kept', 'deferred'] as const satisfies ReadonlyArray<keyof ReloadOutcome>;

/**
 * The host's Prometheus metrics, fed by {@link HostObserver} events. Labels are the function
 * (a handful, fixed at start-up), the end reason and error kind (fixed sets) and the worker
 * slot (0..threads-1): never the task or node, whose IDs are chosen by users, come and go with
 * templated and Chronograf-made tasks and would make the series count grow for the life of the
 * process. Per-task figures are in /status.
 */
export class HostMetrics implements HostObserver {
  readonly registry = new Registry();
  private readonly opened: Counter<'function'>;
  private readonly started: Counter<'function'>;
  private readonly ended: Counter<'function' | 'reason'>;
  private readonly requests: Counter<'function'>;
  private readonly pointsIn: Counter<'function'>;
  private readonly pointsOut: Counter<'function'>;
  private readonly batchesIn: Counter<'function'>;
  private readonly batchesOut: Counter<'function'>;
  private readonly errors: Counter<'function' | 'kind'>;
  private readonly initFailures: Counter<'function'>;
  private readonly keepalives: Histogram<'function'>;
  private readonly snapshotBytes: Histogram<'function'>;
  private readonly snapshotSeconds: Histogram<'function'>;
  private readonly workerRestarts: Counter<'reason'>;
  private readonly workerLagP99: Gauge<'worker'>;
  private readonly workerLagMax: Gauge<'worker'>;
  private readonly reloads: Counter<'outcome'>;
  private readonly reloadSessions: Counter<'result'>;
  readonly tasksRecovered: Counter;
  readonly taskRecoveryFailures: Counter;

  constructor(functions: readonly string[], status: () => HostOpsStatus) {
    const registers = [this.registry];
    // The main thread's event-loop lag, CPU, memory and GC come from prom-client's default set.
    collectDefaultMetrics({ register: this.registry, prefix: 'kudf_' });
    const byFunction = ['function'] as const;
    this.opened = new Counter({
      name: 'kudf_host_connections_opened_total',
      help: 'Connections accepted, by function (task connections and Kapacitor start-up Info connections)',
      labelNames: byFunction,
      registers,
    });
    this.started = new Counter({
      name: 'kudf_host_sessions_started_total',
      help: 'Task sessions initialised (InitResponse success), by function',
      labelNames: byFunction,
      registers,
    });
    this.ended = new Counter({
      name: 'kudf_host_connections_ended_total',
      help: 'Connections ended, by function and reason (eof, error, lost, peer, shutdown)',
      labelNames: ['function', 'reason'],
      registers,
    });
    this.requests = new Counter({
      name: 'kudf_host_requests_total',
      help: 'Requests read from Kapacitor, by function',
      labelNames: byFunction,
      registers,
    });
    this.pointsIn = new Counter({
      name: 'kudf_host_points_in_total',
      help: 'Points received, by function',
      labelNames: byFunction,
      registers,
    });
    this.pointsOut = new Counter({
      name: 'kudf_host_points_out_total',
      help: 'Points returned, by function',
      labelNames: byFunction,
      registers,
    });
    this.batchesIn = new Counter({
      name: 'kudf_host_batches_in_total',
      help: 'Batches received (BeginBatch), by function',
      labelNames: byFunction,
      registers,
    });
    this.batchesOut = new Counter({
      name: 'kudf_host_batches_out_total',
      help: 'Batches returned, by function',
      labelNames: byFunction,
      registers,
    });
    this.errors = new Counter({
      name: 'kudf_host_error_responses_total',
      help: 'ErrorResponses sent (each ends a task), by function and kind (frame, request, protocol, function, lost)',
      labelNames: ['function', 'kind'],
      registers,
    });
    this.initFailures = new Counter({
      name: 'kudf_host_init_failures_total',
      help: 'InitRequests answered with success=false (bad options, function threw in create), by function',
      labelNames: byFunction,
      registers,
    });
    this.keepalives = new Histogram({
      name: 'kudf_host_keepalive_response_seconds',
      help: 'From reading a KeepaliveRequest to its reply being written, by function',
      labelNames: byFunction,
      buckets: KEEPALIVE_BUCKETS,
      registers,
    });
    this.snapshotBytes = new Histogram({
      name: 'kudf_host_snapshot_bytes',
      help: 'Size of SnapshotResponses, by function',
      labelNames: byFunction,
      buckets: SNAPSHOT_BYTES_BUCKETS,
      registers,
    });
    this.snapshotSeconds = new Histogram({
      name: 'kudf_host_snapshot_seconds',
      help: 'Time to take a snapshot, by function',
      labelNames: byFunction,
      buckets: SNAPSHOT_SECONDS_BUCKETS,
      registers,
    });
    this.workerRestarts = new Counter({
      name: 'kudf_host_worker_restarts_total',
      help: 'Workers replaced, by reason (crash, exit, stall, block)',
      labelNames: ['reason'],
      registers,
    });
    this.workerLagP99 = new Gauge({
      name: 'kudf_host_worker_event_loop_lag_p99_seconds',
      help: "99th percentile of each worker's event-loop delay over the last heartbeat (about 1 s)",
      labelNames: ['worker'],
      registers,
    });
    this.workerLagMax = new Gauge({
      name: 'kudf_host_worker_event_loop_lag_max_seconds',
      help: 'Largest event-loop delay of each worker over the last heartbeat (about 1 s)',
      labelNames: ['worker'],
      registers,
    });
    this.reloads = new Counter({
      name: 'kudf_host_reloads_total',
      help: 'Reloads of the function code (SIGHUP, kudf reload), by outcome (ok, unchanged, partial, failed)',
      labelNames: ['outcome'],
      registers,
    });
    this.reloadSessions = new Counter({
      name: 'kudf_host_reload_sessions_total',
      help: 'Running sessions a reload moved to the new code or kept on theirs, by result (moved, kept, deferred)',
      labelNames: ['result'],
      registers,
    });
    this.tasksRecovered = new Counter({
      name: 'kudf_host_tasks_recovered_total',
      help: 'Tasks re-enabled through the Kapacitor API after they lost their session',
      registers,
    });
    this.taskRecoveryFailures = new Counter({
      name: 'kudf_host_task_recovery_failures_total',
      help: 'Failed Kapacitor API calls while bringing tasks back (each is retried with backoff)',
      registers,
    });
    new Gauge({
      name: 'kudf_host_sessions_active',
      help: 'Task sessions open now, by function',
      labelNames: byFunction,
      registers,
      collect() {
        this.reset();
        const s = status();
        for (const f of functions) this.set({ function: f }, 0);
        for (const x of s.sessions) if (x.taskID !== undefined) this.inc({ function: x.function });
      },
    });
    new Gauge({
      name: 'kudf_host_bytes_in_flight',
      help: 'Bytes read but not yet processed plus replies not yet taken by Kapacitor, over every connection',
      registers,
      collect() {
        this.set(status().sessions.reduce((n, s) => n + s.bytesInFlight, 0));
      },
    });
    new Gauge({
      name: 'kudf_host_ready',
      help: '1 while every socket listens and the host is not shutting down',
      registers,
      collect() {
        this.set(status().ready ? 1 : 0);
      },
    });
    // Every counter series whose labels are known in advance exists from the first scrape at 0,
    // so a rate() or increase() over it is 0 rather than absent until the first event (an alert
    // on rate(...) > 0 needs a sample before the event to see it). Histograms are left to their
    // first observation: zeroed per function they would more than double every scrape.
    for (const f of functions) {
      for (const c of [
        this.opened,
        this.started,
        this.requests,
        this.pointsIn,
        this.pointsOut,
        this.batchesIn,
        this.batchesOut,
        this.initFailures,
      ])
        c.inc({ function: f }, 0);
      for (const reason of END_REASONS) this.ended.inc({ function: f, reason }, 0);
      for (const kind of ERROR_KINDS) this.errors.inc({ function: f, kind }, 0);
    }
    for (const reason of RESTART_REASONS) this.workerRestarts.inc({ reason }, 0);
    for (const outcome of RELOAD_OUTCOMES) this.reloads.inc({ outcome }, 0);
    for (const result of RELOAD_RESULTS) this.reloadSessions.inc({ result }, 0);
  }

  connectionOpened(udf: string): void {
    this.opened.inc({ function: udf });
  }

  sessionStarted(udf: string): void {
    this.started.inc({ function: udf });
  }

  connectionEnded(udf: string, reason: EndReason): void {
    this.ended.inc({ function: udf, reason });
  }

  counted(udf: string, d: SessionCounts): void {
    const labels = { function: udf };
    if (d.requests > 0) this.requests.inc(labels, d.requests);
    if (d.pointsIn > 0) this.pointsIn.inc(labels, d.pointsIn);
    if (d.pointsOut > 0) this.pointsOut.inc(labels, d.pointsOut);
    if (d.batchesIn > 0) this.batchesIn.inc(labels, d.batchesIn);
    if (d.batchesOut > 0) this.batchesOut.inc(labels, d.batchesOut);
  }

  keepalive(udf: string, seconds: number): void {
    this.keepalives.observe({ function: udf }, seconds);
  }

  errorResponse(udf: string, kind: ErrorKind): void {
    this.errors.inc({ function: udf, kind });
  }

  initFailed(udf: string): void {
    this.initFailures.inc({ function: udf });
  }

  snapshot(udf: string, bytes: number, seconds: number): void {
    this.snapshotBytes.observe({ function: udf }, bytes);
    this.snapshotSeconds.observe({ function: udf }, seconds);
  }

  workerReplaced(_slot: number, reason: string): void {
    const counted: RestartReason = /^blocked/.test(reason)
      ? 'block'
      : /stall|heartbeat/.test(reason)
        ? 'stall'
        : /crash/.test(reason)
          ? 'crash'
          : 'exit';
    this.workerRestarts.inc({ reason: counted });
  }

  reloaded(outcome: ReloadOutcome): void {
    this.reloads.inc({ outcome: outcome.outcome });
    for (const result of RELOAD_RESULTS) if (outcome[result] > 0) this.reloadSessions.inc({ result }, outcome[result]);
  }

  workerLag(slot: number, lag: LagStats): void {
    this.workerLagP99.set({ worker: String(slot) }, lag.p99Ms / 1000);
    this.workerLagMax.set({ worker: String(slot) }, lag.maxMs / 1000);
  }
}
