import type { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import {
  FrameDecoder,
  FrameWriter,
  decodeRequestIn,
  freezeRequest,
  type FrameBody,
  type PointHeader,
  type Response,
} from '../protocol/index.js';
import type { UdfDefinition } from '../sdk/index.js';
import type { BatchBudget } from './batch-budget.js';
import type { Checkpoint, FromWorker, OutMessage, Resume, ToWorker } from './messages.js';
import type { LagStats, RunnerReport } from './observer.js';
import { isBuiltIn } from './registry.js';
import { Session, describeError, type AdoptOutcome } from './session.js';
import { WorkMeter } from './work-meter.js';

const EMPTY = new Uint8Array(0);

// A RestoreRequest frame is its snapshot plus a few bytes of protobuf tags and lengths.
const RESTORE_FRAME_OVERHEAD = 32;

interface Connection {
  readonly udf: string;
  readonly decoder: FrameDecoder;
  readonly session: Session;
  readonly writer: FrameWriter;
  readonly log: Logger;
  /** Input points are frozen before the function sees them (every function but the built-ins). */
  readonly frozenInput: boolean;
  /** Set when the session was initialised in the chunk being handled; told to the main thread with its replies. */
  started: boolean;
  /** Ends a connection that neither asked for Info nor sent Init in time. */
  readonly initTimer: NodeJS.Timeout | undefined;
  readonly out: OutState;
  /** Bytes of input fed to the decoder, from the start of the connection. */
  fed: number;
  /** Where the last checkpoint was taken, in input bytes, and when the next may be. */
  checkpointPos: number;
  nextCheckpointAt: number;
  /** Taken in the chunk being handled; told to the main thread with its replies. */
  checkpoint: Checkpoint | undefined;
  /** The InitRequest body, kept for every checkpoint (with a replay budget only). */
  initBody: Uint8Array | null;
}

/** The response frames of a connection: counted, and not written while a moved session replays what was sent. */
interface OutState {
  /** Frames written since the last flush. */
  frames: number;
  /** Frames since the connection opened, skipped ones included: a checkpoint's outputFrames. */
  total: number;
  /** Frames still to skip: already sent by the worker this session ran on before. */
  skip: number;
  /** Set while a moved session takes its Init and state back: nothing of it is sent. */
  discard: boolean;
}

/** How many sessions a reload moved, left on their old code, or will move after their batch. */
export interface RunnerReloadResult {
  moved: number;
  kept: number;
  deferred: number;
}

export interface SessionRunnerLimits {
  maxFrameBytes: number;
  /** A connection that sends neither InfoRequest nor InitRequest for this long is closed; 0 never. */
  initTimeoutMs: number;
  maxBatchPoints: number;
  maxBatchBytes: number;
  /**
   * Bytes of input the main thread keeps per connection to replay on another worker (see
   * Connection): a checkpoint is taken each quarter of it, and none larger than it is kept; 0: none.
   */
  replayBytes?: number;
}

/** A checkpoint may cost this share of a session's time at most: the next waits 50 times the last one's duration. */
const CHECKPOINT_SPACING = 50;
/** Checkpoints that take less than this are not spaced. */
const CHECKPOINT_FREE_MS = 5;

/**
 * Runs the sessions of one worker (or of the main thread with `--threads 0`): turns the raw
 * bytes of each connection into requests, feeds its Session, and posts back the encoded
 * responses of each chunk in one message, so a chunk of many points costs one hand-off.
 */
export class SessionRunner {
  private readonly connections = new Map<number, Connection>();
  // Filled by each decode and read by the session in the same call: one object serves every request.
  private readonly pointHeader: PointHeader = { start: -1, end: -1 };
  // Where the current frame's body lies, filled by the decoder: a view per frame would cost an allocation per point.
  private readonly frame: FrameBody = { buf: EMPTY, start: 0, end: 0 };
  // Events since the last report: rare (one per Init, snapshot or ErrorResponse), never per point.
  private events: Omit<RunnerReport, 'sessions' | 'lag'> = { initFailures: [], errors: [], snapshots: [] };
  // While a 'closes' message is handled, its answers are gathered here and posted as one.
  private gathered: OutMessage[] | undefined;
  /** Event-loop delay of this thread since the last call; set by the worker entry. */
  lagSampler: (() => LagStats) | undefined;
  /** Tells the main thread of this worker's progress; set by the worker entry. */
  meter = new WorkMeter();
  // Where the replies a moved session has already sent are written, and dropped.
  private readonly scratch = new FrameWriter({ initialCapacity: 4096 });

  constructor(
    private registry: ReadonlyMap<string, UdfDefinition>,
    private readonly limits: SessionRunnerLimits,
    private readonly logger: Logger,
    private readonly post: (message: FromWorker) => void,
    /** Where each connection's id is kept for the async work its function code starts. */
    private readonly context?: AsyncLocalStorage<number>,
    /** The host-wide budget for open batches, this place's side of it; none when absent. */
    private readonly openBatches?: BatchBudget,
  ) {}

  /**
   * Ends the session whose function code failed outside any call into it (a timer that throws, a
   * promise left rejected, process.exit from a callback), found through the async context the
   * code ran in (see {@link context}). False when that session is not (or no longer) here.
   */
  failFromAsync(id: number, err: unknown): boolean {
    const conn = this.connections.get(id);
    if (conn === undefined) return false;
    conn.session.fail(
      `${conn.session.udf}: ${describeError(err)} (outside a call: in a timer, promise or callback of the function)`,
    );
    this.flush(id, conn, 0, 'error');
    return true;
  }

  handle(message: ToWorker): void {
    switch (message.type) {
      case 'open':
        this.meter.begin(message.id);
        try {
          this.open(message.id, message.udf, message.keepalivesAnswered === true, message.resume);
        } finally {
          this.meter.end();
        }
        return;
      case 'data':
        this.meter.begin(message.id);
        try {
          this.data(message.id, message.bytes);
        } finally {
          this.meter.end();
        }
        return;
      case 'end':
        this.meter.begin(message.id);
        try {
          this.end(message.id);
        } finally {
          this.meter.end();
        }
        return;
      case 'abort':
        this.abort(message.id, message.reason);
        return;
      case 'closes':
        this.closes(message.messages);
        return;
      case 'ping':
        this.post({ type: 'pong', seq: message.seq, report: this.report() });
        return;
      case 'recycle':
        // Dropping them is the point: this thread's frequent scavenges free them.
        return;
    }
  }

  /** One turn of the main thread's reads, ends and aborts: their answers go back in one message. */
  private closes(messages: Extract<ToWorker, { type: 'closes' }>['messages']): void {
    const gathered: OutMessage[] = [];
    this.gathered = gathered;
    try {
      for (const message of messages) {
        // Each connection's part is metered on its own: a call that blocks names its session.
        this.meter.begin(message.id);
        if (message.type === 'data') this.data(message.id, message.bytes);
        else if (message.type === 'end') this.end(message.id);
        else this.abort(message.id, message.reason);
      }
    } finally {
      this.meter.end();
      this.gathered = undefined;
    }
    if (gathered.length === 1) this.post(gathered[0] as OutMessage);
    else if (gathered.length > 1) this.post({ type: 'outs', messages: gathered });
  }

  /** Posts a connection's answer, or keeps it for the one message of a 'closes'. */
  private postOut(message: OutMessage): void {
    if (this.gathered !== undefined) this.gathered.push(message);
    else this.post(message);
  }

  private open(id: number, udf: string, keepalivesAnswered: boolean, resume?: Resume): void {
    const def = this.registry.get(udf);
    const log = this.logger.child({ conn: id });
    if (def === undefined) {
      // The main thread only opens connections for functions it loaded from the same modules.
      log.error({ udf }, 'connection for an unknown function');
      this.post({
        type: 'out',
        id,
        bytes: null,
        consumed: 0,
        frames: 0,
        closed: { counts: { requests: 0, pointsIn: 0, pointsOut: 0, batchesIn: 0, batchesOut: 0 }, reason: 'error' },
      });
      return;
    }
    const writer = new FrameWriter();
    const out: OutState = { frames: 0, total: 0, skip: 0, discard: false };
    const scratch = this.scratch;
    const target = (): FrameWriter => (out.discard || out.skip > 0 ? scratch : writer);
    // Counted once written: a response that cannot be encoded is not written, and not counted.
    const wrote = (w: FrameWriter): void => {
      if (w === writer) {
        out.frames++;
        out.total++;
        return;
      }
      scratch.take();
      if (!out.discard) {
        out.skip--;
        out.total++;
      }
    };
    const session = new Session(
      def,
      log,
      (response: Response) => {
        const w = target();
        w.writeResponse(response);
        wrote(w);
      },
      {
        sendRaw: (body) => {
          const w = target();
          w.writeFrame(body);
          wrote(w);
        },
        sendAfterHeader: (header, point) => {
          const w = target();
          w.writePointAfterHeader(header, point);
          wrote(w);
        },
        answerKeepalives: !keepalivesAnswered,
        maxBatchPoints: this.limits.maxBatchPoints,
        maxBatchBytes: this.limits.maxBatchBytes,
        ...(this.openBatches !== undefined ? { openBatches: this.openBatches } : {}),
        maxSnapshotBytes: this.limits.maxFrameBytes - RESTORE_FRAME_OVERHEAD,
      },
    );
    const initTimer =
      this.limits.initTimeoutMs > 0 ? setTimeout(() => this.initTimedOut(id), this.limits.initTimeoutMs) : undefined;
    initTimer?.unref();
    const conn: Connection = {
      udf,
      started: false,
      decoder: new FrameDecoder({ maxFrameBytes: this.limits.maxFrameBytes }),
      session,
      writer,
      log,
      frozenInput: !isBuiltIn(def),
      initTimer,
      out,
      fed: 0,
      checkpointPos: 0,
      nextCheckpointAt: 0,
      checkpoint: undefined,
      initBody: null,
    };
    this.connections.set(id, conn);
    if (resume !== undefined) this.resume(conn, resume);
  }

  /**
   * Takes up a session moved here from a lost worker: its Init and state go in as they went in
   * there, with nothing sent; the input since the checkpoint follows as data, and the first
   * `skipFrames` responses it yields were sent already.
   */
  private resume(conn: Connection, { checkpoint, skipFrames }: Resume): void {
    conn.out.discard = true;
    try {
      if (checkpoint.init !== null) {
        const init = decodeRequestIn(checkpoint.init, 0, checkpoint.init.byteLength, this.pointHeader);
        conn.session.handle(init);
      }
      if (checkpoint.snapshot !== null) conn.session.handle({ kind: 'restore', snapshot: checkpoint.snapshot });
    } finally {
      conn.out.discard = false;
    }
    conn.out.total = checkpoint.outputFrames;
    conn.out.skip = skipFrames;
    conn.fed = checkpoint.inputPos;
    conn.initBody = checkpoint.init;
    conn.checkpointPos = checkpoint.inputPos;
    Object.assign(conn.session.counts, checkpoint.counts);
    conn.log.info({ ...conn.session.ids, skipFrames }, 'session taken up from its checkpoint');
  }

  /**
   * A checkpoint of the session at the end of the chunk just handled, when a quarter of the
   * replay budget has been read since the last one, outside any batch, and no sooner than the spacing
   * its last cost asks for. A state that has no snapshot, or a larger one than the budget, is
   * not checkpointed: the session can then move only while its input since Init fits.
   */
  private maybeCheckpoint(conn: Connection): void {
    const budget = this.limits.replayBytes ?? 0;
    const pos = conn.fed - conn.decoder.bufferedBytes;
    if (budget <= 0 || !conn.session.initialised || conn.session.inBatch || pos - conn.checkpointPos < budget / 4)
      return;
    const now = performance.now();
    if (now < conn.nextCheckpointAt) return;
    this.meter.long(true);
    const state = conn.session.checkpointState();
    this.meter.long(false);
    const took = performance.now() - now;
    // Under a few ms the wall time is mostly the scheduler's (another thread ran meanwhile), not
    // the snapshot's: spacing by it would leave a session without a recent checkpoint for nothing.
    conn.nextCheckpointAt = took < CHECKPOINT_FREE_MS ? 0 : performance.now() + CHECKPOINT_SPACING * took;
    if (state === undefined) return;
    if (state.byteLength > budget) {
      // A state over the budget does not shrink back as a rule: its snapshot() is not paid for again.
      conn.nextCheckpointAt = Number.POSITIVE_INFINITY;
      conn.log.info(
        { ...conn.session.ids, stateBytes: state.byteLength, replayBytes: budget },
        'state larger than --replay-bytes: no more checkpoints; this session cannot move once its input since the last one is over it',
      );
      return;
    }
    this.setCheckpoint(conn, pos, state);
  }

  private setCheckpoint(conn: Connection, pos: number, snapshot: Uint8Array | null): void {
    conn.checkpoint = {
      inputPos: pos,
      outputFrames: conn.out.total,
      init: conn.initBody,
      snapshot,
      counts: { ...conn.session.counts },
    };
    conn.checkpointPos = pos;
  }

  /**
   * Kapacitor sends Init right after it connects for a task, and Info right after it connects at
   * its own start-up: a connection that has sent neither holds a socket for nothing.
   */
  private initTimedOut(id: number): void {
    const conn = this.connections.get(id);
    if (conn === undefined || conn.session.initialised || conn.session.askedInfo) return;
    conn.log.warn(
      { initTimeoutMs: this.limits.initTimeoutMs, code: 'KUDF_HOST_INIT_TIMEOUT' },
      'no InitRequest in time; closing the connection',
    );
    conn.session.fail(`no InitRequest within ${this.limits.initTimeoutMs} ms of connecting`);
    this.flush(id, conn, 0, 'error');
  }

  private data(id: number, bytes: Uint8Array): void {
    const conn = this.connections.get(id);
    if (conn === undefined) return;
    // Timers and promises the function creates from here carry this connection's id.
    this.context?.enterWith(id);
    let verdict: 'continue' | 'close' = 'continue';
    try {
      conn.decoder.feed(bytes);
      conn.fed += bytes.byteLength;
      while (conn.decoder.nextFrameBody(this.frame)) {
        this.meter.tick();
        verdict = this.request(conn, this.frame);
        if (verdict === 'close') break;
      }
      if (verdict === 'continue') this.maybeCheckpoint(conn);
    } catch (err) {
      // A bad frame header (oversized length, over-long varint): the stream cannot be resynchronised.
      verdict = conn.session.fail(`invalid frame: ${describeError(err)}`, 'frame');
    }
    if (verdict === 'close') this.events.errors.push({ udf: conn.udf, kind: conn.session.failure ?? 'protocol' });
    this.frame.buf = EMPTY; // not holding on to the chunk until the next one
    this.flush(id, conn, bytes.byteLength, verdict === 'close' ? 'error' : undefined);
  }

  private request(conn: Connection, body: FrameBody): 'continue' | 'close' {
    let request;
    try {
      request = decodeRequestIn(body.buf, body.start, body.end, this.pointHeader);
      if (conn.frozenInput) freezeRequest(request);
    } catch (err) {
      return conn.session.fail(`invalid request: ${describeError(err)}`, 'request');
    }
    if (request.kind === 'point') return conn.session.handle(request, body, this.pointHeader);
    const before = conn.writer.length;
    const t0 = performance.now();
    const long = request.kind === 'snapshot' || request.kind === 'restore';
    if (long) this.meter.long(true);
    const verdict = conn.session.handle(request, body, this.pointHeader);
    if (long) this.meter.long(false);
    if (request.kind === 'init') {
      if (conn.session.initialised) {
        conn.started = true;
        // Every session can move from right after its Init: nothing but the Init is in its state yet.
        if ((this.limits.replayBytes ?? 0) > 0) {
          conn.initBody = body.buf.slice(body.start, body.end);
          this.setCheckpoint(conn, conn.fed - conn.decoder.bufferedBytes, null);
        }
      } else this.events.initFailures.push({ udf: conn.udf });
    } else if (request.kind === 'snapshot' && verdict === 'continue') {
      this.events.snapshots.push({
        udf: conn.udf,
        bytes: conn.writer.length - before,
        seconds: (performance.now() - t0) / 1000,
      });
    }
    return verdict;
  }

  /**
   * Takes reloaded definitions: every session of a function whose definition changed moves to the
   * new one (or stays, see Session.adopt), here, between two chunks of its input, so at a frame
   * boundary; new sessions get the new code. A function missing from `next` keeps its old
   * definition. Each session that stays on its old code is logged with why.
   */
  reload(next: ReadonlyMap<string, UdfDefinition>, generation: number): RunnerReloadResult {
    const result: RunnerReloadResult = { moved: 0, kept: 0, deferred: 0 };
    for (const conn of this.connections.values()) {
      const def = next.get(conn.udf);
      if (def === undefined || def === conn.session.definition) continue;
      const outcome = conn.session.adopt(def, (later) => this.logAdopt(conn, later, generation));
      this.logAdopt(conn, outcome, generation);
      result[outcome.kind]++;
    }
    const merged = new Map(this.registry);
    for (const [name, def] of next) merged.set(name, def);
    this.registry = merged;
    return result;
  }

  private logAdopt(conn: Connection, outcome: AdoptOutcome, generation: number): void {
    const ids = conn.session.initialised ? conn.session.ids : {};
    if (outcome.kind === 'moved')
      conn.log.info({ ...ids, udf: conn.udf, generation }, 'session moved to the reloaded code');
    else if (outcome.kind === 'kept')
      conn.log.warn(
        { ...ids, udf: conn.udf, generation, reason: outcome.reason, code: 'KUDF_RELOAD_KEPT' },
        'session stays on the code it runs; new sessions get the reloaded code',
      );
    else
      conn.log.info(
        { ...ids, udf: conn.udf, generation },
        'session moves to the reloaded code when its open batch ends',
      );
  }

  /** Every live session's counts and the events since the last report, which this call empties. */
  report(): RunnerReport {
    const sessions: RunnerReport['sessions'] = [];
    for (const [id, conn] of this.connections) sessions.push({ id, counts: { ...conn.session.counts } });
    const report: RunnerReport = { sessions, ...this.events };
    if (this.lagSampler !== undefined) report.lag = this.lagSampler();
    this.events = { initFailures: [], errors: [], snapshots: [] };
    return report;
  }

  private end(id: number): void {
    const conn = this.connections.get(id);
    if (conn === undefined) return;
    this.context?.enterWith(id);
    if (conn.decoder.hasPartialFrame) {
      conn.log.warn(
        { ...conn.session.ids, bufferedBytes: conn.decoder.bufferedBytes },
        'peer closed in the middle of a frame; partial frame dropped',
      );
    }
    this.flush(id, conn, 0, 'eof');
  }

  private abort(id: number, reason: string): void {
    const conn = this.connections.get(id);
    if (conn === undefined) return;
    this.connections.delete(id);
    clearTimeout(conn.initTimer);
    conn.session.dispose();
    conn.log.warn({ ...conn.session.ids, reason, ...conn.session.counts }, 'connection lost');
  }

  /** Posts the replies of a chunk; with `end`, the session is over and this is its last message. */
  private flush(id: number, conn: Connection, consumed: number, end?: 'eof' | 'error'): void {
    let bytes: Uint8Array | null = null;
    if (conn.writer.length > 0) {
      const taken = conn.writer.take();
      // Transfer detaches the whole ArrayBuffer: only hand over one that holds just these bytes.
      bytes = taken.byteOffset === 0 && taken.byteLength === taken.buffer.byteLength ? taken : new Uint8Array(taken);
    }
    const started = conn.started ? conn.session.ids : undefined;
    conn.started = false;
    const frames = conn.out.frames;
    conn.out.frames = 0;
    if (end === undefined) {
      const checkpoint = conn.checkpoint;
      conn.checkpoint = undefined;
      this.postOut({
        type: 'out',
        id,
        bytes,
        consumed,
        frames,
        ...(started !== undefined ? { started } : {}),
        ...(checkpoint !== undefined ? { checkpoint } : {}),
      });
      return;
    }
    this.connections.delete(id);
    clearTimeout(conn.initTimer);
    conn.session.dispose();
    const counts = conn.session.counts;
    if (conn.session.initialised) conn.log.info({ ...conn.session.ids, ...counts, reason: end }, 'session ended');
    else
      conn.log.debug(
        { requests: counts.requests, reason: end },
        'connection closed before Init (info-only connection)',
      );
    this.postOut({
      type: 'out',
      id,
      bytes,
      consumed,
      frames,
      closed: { counts, reason: end },
      ...(started !== undefined ? { started } : {}),
    });
  }
}
