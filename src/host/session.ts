import type { Logger } from 'pino';
import type { FrameBody, PointHeader, BeginBatch, InitOption, Point, Request, Response } from '../protocol/index.js';
import { type Emitter, type UdfDefinition, type UdfInstance, OptionError } from '../sdk/index.js';
import {
  describeUdf,
  parseOptions,
  decodeSnapshot,
  encodeSnapshot,
  fingerprintOptions,
  type DecodedSnapshot,
  type SnapshotIdentity,
} from '../sdk/internal.js';
import type { ErrorKind } from './observer.js';
import { RESERVE_STEP, type BatchBudget } from './batch-budget.js';
import { reloadMismatch } from './reload-fit.js';

export interface SessionOptions {
  /** Writes an already encoded Response body (used to pass unchanged input points through). */
  sendRaw?: (body: Uint8Array) => void;
  /**
   * Writes a point Response from `header`, the input point's bytes before its fields (see
   * decodeRequest's pointHeader), plus the point's fields: used for points derived from it.
   */
  sendAfterHeader?: (header: Uint8Array, point: Point) => void;
  /** False when the transport answers keepalives itself (the main thread does, ahead of queued data). */
  answerKeepalives?: boolean;
  /** The most points one batch (BeginBatch to EndBatch) may carry; past it the session ends. Default: no limit. */
  maxBatchPoints?: number;
  /** The most bytes of encoded points one batch may carry; past it the session ends. Default: no limit. */
  maxBatchBytes?: number;
  /**
   * Shared by every session of the host: what open batches hold together. The session whose
   * point would take the host past it ends with an ErrorResponse naming the limit. Default: none.
   */
  openBatches?: BatchBudget;
  /** The largest snapshot this transport accepts back in a RestoreRequest; a larger one is not sent. */
  maxSnapshotBytes?: number;
}

/**
 * What became of a session when its function's code was reloaded: moved to the new code, kept on
 * the old (with why), or waiting for the end of the batch it is in.
 */
export type AdoptOutcome = { kind: 'moved' } | { kind: 'kept'; reason: string } | { kind: 'deferred' };

/** What the session wants its transport to do after a request. */
export type SessionVerdict = 'continue' | 'close';

export interface SessionCounts {
  requests: number;
  pointsIn: number;
  pointsOut: number;
  batchesIn: number;
  batchesOut: number;
}

/**
 * One Kapacitor connection's protocol state machine, free of any I/O: requests go in through
 * {@link handle}, responses come out through `send`. The same class runs on a worker thread,
 * on the main thread (`--threads 0`) and in process mode.
 *
 * After an ErrorResponse the verdict is 'close': Kapacitor treats ErrorResponse as fatal for
 * the task, so nothing more is read from that connection.
 */
export class Session {
  private instance: UdfInstance | undefined;
  private identity: SnapshotIdentity | undefined;
  private taskID = '';
  private nodeID = '';
  private log: Logger;
  private batch: OpenBatch | undefined;
  private frameBatches: boolean;
  private ended = false;
  private infoAsked = false;
  private parsedOptions: Record<string, unknown> = {};
  private initOptions: readonly InitOption[] = [];
  // A reloaded definition to move to once the open batch ends (see adopt).
  private pendingDef: { def: UdfDefinition; done: (outcome: AdoptOutcome) => void } | undefined;
  readonly counts: SessionCounts = { requests: 0, pointsIn: 0, pointsOut: 0, batchesIn: 0, batchesOut: 0 };

  // The input point being processed and its Request body: Point is member 17 of both Request and
  // Response, so a function that emits the very object it received gets the original bytes back
  // without an encode (input points are read-only; see the SDK).
  private rawPoint: Point | undefined;
  private rawBody: FrameBody | undefined;
  // A point derived from the input point (the SDK's derivePoint/withFields: new fields, the same
  // time, name, tags... objects) reuses the input's bytes before its fields: [start, end) of rawBody.
  private rawHeaderStart = -1;
  private rawHeaderEnd = -1;

  private readonly streamOut: Emitter = {
    emit: (point) => {
      this.counts.pointsOut++;
      const input = this.rawPoint;
      if (input === undefined || this.rawBody === undefined) {
        this.send({ kind: 'point', point });
      } else if (point === input && this.options.sendRaw !== undefined) {
        this.options.sendRaw(this.rawBody.buf.subarray(this.rawBody.start, this.rawBody.end));
      } else if (
        this.rawHeaderStart >= 0 &&
        this.options.sendAfterHeader !== undefined &&
        sameBeforeFields(point, input)
      ) {
        this.options.sendAfterHeader(this.rawBody.buf.subarray(this.rawHeaderStart, this.rawHeaderEnd), point);
      } else {
        this.send({ kind: 'point', point });
      }
    },
  };

  private readonly batchOut: Emitter = {
    emit: (point) => {
      this.counts.pointsOut++;
      this.batch?.points.push(point);
    },
  };

  constructor(
    private def: UdfDefinition,
    logger: Logger,
    private readonly send: (response: Response) => void,
    private readonly options: SessionOptions = {},
  ) {
    this.log = logger.child({ udf: def.name });
    // A batch-in, stream-out function turns batches into plain points; every other function
    // answers a batch with a batch, which is also what a lenient peer sending batches to a
    // stream function expects back.
    this.frameBatches = !(def.wants === 'batch' && def.provides === 'stream');
  }

  /** The definition this session runs now (a reload may have moved it to a newer one). */
  get definition(): UdfDefinition {
    return this.def;
  }

  /** The function's name. */
  get udf(): string {
    return this.def.name;
  }

  get initialised(): boolean {
    return this.instance !== undefined;
  }

  /** Whether a batch is open (BeginBatch received, EndBatch not yet). */
  get inBatch(): boolean {
    return this.batch !== undefined;
  }

  /**
   * The function's state, encoded as a snapshot for Kapacitor would be, for the host's own
   * checkpoints (see SessionRunner): nothing is sent. Undefined when the function has no
   * snapshot(), or its snapshot() throws: then the state cannot be carried elsewhere.
   */
  checkpointState(): Uint8Array | undefined {
    const instance = this.instance;
    const identity = this.identity;
    if (instance?.snapshot === undefined || identity === undefined || this.ended) return undefined;
    try {
      return encodeSnapshot(identity, instance.snapshot());
    } catch (err) {
      this.log.debug({ err: describeError(err) }, 'no checkpoint: snapshot() failed');
      return undefined;
    }
  }

  /** Whether the peer has asked for Info: Kapacitor's start-up connections never send Init. */
  get askedInfo(): boolean {
    return this.infoAsked;
  }

  get ids(): { taskID: string; nodeID: string } {
    return { taskID: this.taskID, nodeID: this.nodeID };
  }

  /**
   * Handles one request. `raw` is where the request's encoded body lies, when the transport has
   * it: an emitted input point is then written back as those bytes, and a point derived from it
   * as the bytes before its fields (`pointHeader`, from decodeRequestIn on the same buffer) plus
   * its own fields. Both are only used during this call.
   */
  handle(request: Request, raw?: FrameBody, pointHeader?: PointHeader): SessionVerdict {
    if (this.ended) return 'close';
    this.counts.requests++;
    switch (request.kind) {
      case 'info':
        this.infoAsked = true;
        this.send(describeUdf(this.def));
        return 'continue';
      case 'keepalive':
        if (this.options.answerKeepalives !== false) this.send({ kind: 'keepalive', time: request.time });
        return 'continue';
      case 'init':
        return this.init(request.options, request.taskID, request.nodeID);
      case 'snapshot':
        return this.snapshot();
      case 'restore':
        return this.restore(request.snapshot);
      case 'begin':
        return this.beginBatch(request.begin);
      case 'point':
        return this.point(request.point, raw, pointHeader);
      case 'end':
        return this.endBatch(request.end);
    }
  }

  /** What the ErrorResponse that ended the session was about, once there was one. */
  failure: ErrorKind | undefined;

  /** Ends the session with an ErrorResponse, e.g. for a malformed frame found by the transport. */
  fail(message: string, kind: ErrorKind = 'protocol'): SessionVerdict {
    if (!this.ended) {
      this.ended = true;
      this.failure = kind;
      this.dispose();
      this.log.error({ taskID: this.taskID, nodeID: this.nodeID }, message);
      this.send({ kind: 'error', error: message });
    }
    return 'close';
  }

  private init(options: Parameters<typeof parseOptions>[1], taskID: string, nodeID: string): SessionVerdict {
    if (this.instance !== undefined) return this.fail(`${this.def.name}: Init received twice`);
    this.taskID = taskID;
    this.nodeID = nodeID;
    this.initOptions = options;
    this.log = this.log.child({ taskID, nodeID });
    let parsed: Record<string, unknown>;
    try {
      parsed = parseOptions(this.def.options, options);
      this.instance = this.def.create({ options: parsed, taskID, nodeID, log: this.log });
    } catch (err) {
      const message = err instanceof OptionError ? err.message : `${this.def.name}: ${describeError(err)}`;
      this.log.warn({ err: describeError(err) }, 'init rejected');
      this.send({ kind: 'init', success: false, error: message });
      return 'continue';
    }
    this.identity = {
      function: this.def.name,
      version: this.def.snapshotVersion ?? 1,
      options: fingerprintOptions(parsed),
    };
    this.parsedOptions = parsed;
    this.log.info({ options: parsed }, 'session initialised');
    this.send({ kind: 'init', success: true, error: '' });
    return 'continue';
  }

  private snapshot(): SessionVerdict {
    if (this.instance === undefined || this.identity === undefined)
      return this.fail(`${this.def.name}: SnapshotRequest before Init`);
    const instance = this.instance;
    const identity = this.identity;
    return this.guard(() => {
      const state = instance.snapshot?.() ?? null;
      let bytes: Uint8Array;
      try {
        bytes = encodeSnapshot(identity, state);
      } catch (err) {
        if (!(err instanceof RangeError)) throw err;
        bytes = this.snapshotTooLarge(`its JSON would be longer than a string can be (${err.message})`);
      }
      const limit = this.options.maxSnapshotBytes;
      if (limit !== undefined && bytes.byteLength > limit)
        bytes = this.snapshotTooLarge(
          `${bytes.byteLength} bytes, over the ${limit} a RestoreRequest may carry (--max-frame-bytes)`,
        );
      this.send({ kind: 'snapshot', snapshot: bytes });
    });
  }

  /**
   * A snapshot the host could not take back is not sent: an empty one is, which Kapacitor stores
   * and a restore takes as "start fresh". The task goes on; only its restart loses the state.
   */
  private snapshotTooLarge(why: string): Uint8Array {
    this.log.error(
      { code: 'KUDF_SNAPSHOT_TOO_LARGE' },
      `snapshot not kept: ${why}; an empty snapshot is sent, so a restart of this task starts fresh`,
    );
    return new Uint8Array(0);
  }

  private restore(bytes: Uint8Array): SessionVerdict {
    if (this.instance === undefined || this.identity === undefined) {
      this.send({ kind: 'restore', success: false, error: `${this.def.name}: RestoreRequest before Init` });
      return 'continue';
    }
    if (bytes.byteLength === 0) {
      this.log.warn({}, 'empty snapshot: starting fresh');
      this.send({ kind: 'restore', success: true, error: '' });
      return 'continue';
    }
    const decoded = decodeSnapshot(bytes, this.identity, { groups: this.instance.restoreGroup !== undefined });
    if (decoded.kind === 'invalid') {
      this.log.warn({ reason: decoded.reason }, 'restore rejected');
      this.send({ kind: 'restore', success: false, error: `${this.def.name}: ${decoded.reason}` });
      return 'continue';
    }
    if (decoded.kind === 'mismatch') {
      this.log.warn({ reason: decoded.reason }, 'snapshot ignored: starting fresh');
      this.send({ kind: 'restore', success: true, error: '' });
      return 'continue';
    }
    try {
      // Group by group into a fresh instance, which replaces the state at once and lets the old
      // one go before the new one grows.
      if (decoded.kind === 'groups') this.instance = this.freshInstance();
      restoreInto(this.instance, decoded);
    } catch (err) {
      // A half-applied restore must not leak into the task: start over from a fresh instance.
      this.instance = this.freshInstance();
      this.log.warn({ err: describeError(err) }, 'restore rejected');
      this.send({
        kind: 'restore',
        success: false,
        error: `${this.def.name}: cannot restore snapshot: ${describeError(err)}`,
      });
      return 'continue';
    }
    this.log.info({}, 'state restored');
    this.send({ kind: 'restore', success: true, error: '' });
    return 'continue';
  }

  private freshInstance(): UdfInstance {
    return this.def.create({ options: this.parsedOptions, taskID: this.taskID, nodeID: this.nodeID, log: this.log });
  }

  private beginBatch(begin: BeginBatch): SessionVerdict {
    const instance = this.instance;
    if (instance === undefined) return this.fail(`${this.def.name}: BeginBatch before Init`);
    if (this.batch !== undefined)
      return this.fail(`${this.def.name}: BeginBatch inside an open batch (group '${this.batch.begin.group}')`);
    this.counts.batchesIn++;
    this.batch = { begin, points: [], pointsIn: 0, bytesIn: 0, held: 0, reserved: 0 };
    return this.guard(() => instance.beginBatch?.(begin, this.batchOut));
  }

  private point(point: Point, raw: FrameBody | undefined, header: PointHeader | undefined): SessionVerdict {
    const instance = this.instance;
    if (instance === undefined) return this.fail(`${this.def.name}: point before Init`);
    this.counts.pointsIn++;
    const batch = this.batch;
    if (batch !== undefined) {
      // A batch is held until its EndBatch (by the session or by the function): bound it, or
      // a peer that never ends one grows the host without limit.
      const bytes = raw !== undefined ? raw.end - raw.start : APPROX_POINT_BYTES;
      batch.pointsIn++;
      batch.bytesIn += bytes;
      batch.held += bytes + DECODED_POINT_OVERHEAD;
      const over = this.batchOverLimit(batch) ?? this.hostOverBudget(batch);
      if (over !== undefined) return this.fail(over);
      return this.runPoint(instance, point, this.batchOut);
    }
    this.rawPoint = point;
    this.rawBody = raw;
    this.rawHeaderStart = header?.start ?? -1;
    this.rawHeaderEnd = header?.end ?? -1;
    const verdict = this.runPoint(instance, point, this.streamOut);
    this.rawPoint = undefined;
    this.rawBody = undefined;
    return verdict;
  }

  /** Takes the next step of the host-wide budget when the batch has outgrown what it reserved. */
  private hostOverBudget(batch: OpenBatch): string | undefined {
    const budget = this.options.openBatches;
    if (budget === undefined || batch.held <= batch.reserved) return undefined;
    const step = Math.ceil((batch.held - batch.reserved) / RESERVE_STEP) * RESERVE_STEP;
    if (budget.reserve(step)) {
      batch.reserved += step;
      return undefined;
    }
    return `${this.def.name}: batch of group '${batch.begin.group}' without EndBatch refused: the host-wide budget for open batches (${budget.maxBytes} bytes, --max-open-batch-bytes) is used up`;
  }

  /** Gives the open batch's share of the host-wide budget back (its EndBatch came, or the session ended). */
  private releaseBatch(): void {
    const batch = this.batch;
    if (batch === undefined) return;
    this.options.openBatches?.release(batch.reserved);
    batch.reserved = 0;
  }

  /** The session is gone (closed, aborted, failed): what it held no longer counts. */
  dispose(): void {
    this.releaseBatch();
    this.batch = undefined;
  }

  private batchOverLimit(batch: OpenBatch): string | undefined {
    const { maxBatchPoints, maxBatchBytes } = this.options;
    const where = `batch of group '${batch.begin.group}' without EndBatch`;
    if (maxBatchPoints !== undefined && batch.pointsIn > maxBatchPoints) {
      return `${this.def.name}: ${where} exceeds the batch point limit (${maxBatchPoints} points, --max-batch-points)`;
    }
    if (maxBatchBytes !== undefined && batch.bytesIn > maxBatchBytes) {
      return `${this.def.name}: ${where} exceeds the batch size limit (${maxBatchBytes} bytes of points, --max-batch-bytes)`;
    }
    return undefined;
  }

  private endBatch(end: Extract<Request, { kind: 'end' }>['end']): SessionVerdict {
    const instance = this.instance;
    if (instance === undefined) return this.fail(`${this.def.name}: EndBatch before Init`);
    const batch = this.batch;
    if (batch === undefined) return this.fail(`${this.def.name}: EndBatch without BeginBatch`);
    const verdict = this.guard(() => instance.endBatch?.(end, this.batchOut));
    this.releaseBatch();
    this.batch = undefined;
    if (verdict === 'close') return verdict;
    if (this.frameBatches) this.send({ kind: 'begin', begin: { ...batch.begin, size: BigInt(batch.points.length) } });
    for (const point of batch.points) this.send({ kind: 'point', point });
    if (this.frameBatches) {
      this.send({ kind: 'end', end });
      this.counts.batchesOut++;
    }
    const pending = this.pendingDef;
    if (pending !== undefined) {
      this.pendingDef = undefined;
      pending.done(this.adopt(pending.def, pending.done));
    }
    return 'continue';
  }

  /**
   * Moves this session to a reloaded definition of its function, between two requests: the old
   * instance's state goes through its own snapshot() and the new one's restore(), encoded and
   * decoded exactly as a snapshot Kapacitor stores would be, and nothing is sent to the peer.
   * A session inside a batch moves once that batch has ended (`whenDeferred` is then told the
   * outcome). A new version that no longer fits the session (see reloadMismatch), that throws
   * while taking over, or a function without snapshot/restore to carry its state, leaves the
   * session on the code it runs: nothing of it is lost either way.
   */
  adopt(next: UdfDefinition, whenDeferred: (outcome: AdoptOutcome) => void = () => undefined): AdoptOutcome {
    if (this.ended) return { kind: 'kept', reason: 'the session has ended' };
    const instance = this.instance;
    const identity = this.identity;
    if (instance === undefined || identity === undefined) {
      // Not initialised yet: nothing to carry over, the new code takes the Init.
      this.useDefinition(next);
      return { kind: 'moved' };
    }
    const mismatch = reloadMismatch(this.def, next);
    if (mismatch !== undefined) return { kind: 'kept', reason: mismatch };
    if (instance.snapshot === undefined)
      return { kind: 'kept', reason: 'the running version has no snapshot() to hand its state over' };
    let parsed: Record<string, unknown>;
    try {
      parsed = parseOptions(next.options, this.initOptions);
    } catch (err) {
      return {
        kind: 'kept',
        reason: `the task's options do not fit the new option declarations: ${describeError(err)}`,
      };
    }
    if (fingerprintOptions(parsed) !== identity.options)
      return { kind: 'kept', reason: "the new option declarations give the task's options other values" };
    if (this.batch !== undefined) {
      this.pendingDef = { def: next, done: whenDeferred };
      return { kind: 'deferred' };
    }
    let fresh: UdfInstance;
    try {
      const bytes = encodeSnapshot(identity, instance.snapshot());
      fresh = next.create({ options: parsed, taskID: this.taskID, nodeID: this.nodeID, log: this.log });
      const decoded = decodeSnapshot(bytes, identity, { groups: fresh.restoreGroup !== undefined });
      if (decoded.kind === 'invalid' || decoded.kind === 'mismatch')
        return { kind: 'kept', reason: `the running version's snapshot does not decode: ${decoded.reason}` };
      if (decoded.kind === 'groups' || decoded.state !== null || fresh.restore !== undefined) {
        if (fresh.restore === undefined && fresh.restoreGroup === undefined)
          return { kind: 'kept', reason: 'the new version has no restore() to take the state over' };
        restoreInto(fresh, decoded);
      }
    } catch (err) {
      return { kind: 'kept', reason: `moving the state failed: ${describeError(err)}` };
    }
    this.useDefinition(next);
    this.instance = fresh;
    this.parsedOptions = parsed;
    return { kind: 'moved' };
  }

  private useDefinition(next: UdfDefinition): void {
    this.def = next;
    this.frameBatches = !(next.wants === 'batch' && next.provides === 'stream');
  }

  /** Runs function code; a throw becomes an ErrorResponse naming the function. */
  private guard(run: () => void): SessionVerdict {
    try {
      run();
      return 'continue';
    } catch (err) {
      return this.thrown(err);
    }
  }

  /** {@link guard} for the per-point call, without the closure per point that guard takes. */
  private runPoint(instance: UdfInstance, point: Point, out: Emitter): SessionVerdict {
    try {
      instance.point(point, out);
      return 'continue';
    } catch (err) {
      return this.thrown(err);
    }
  }

  /** What a throw from function code becomes: an ErrorResponse naming the function. */
  private thrown(err: unknown): SessionVerdict {
    const hint = err instanceof TypeError && WRITE_TO_FROZEN.test(err.message) ? READ_ONLY_HINT : '';
    return this.fail(`${this.def.name}: ${describeError(err)}${hint}`, 'function');
  }
}

/** Gives a decoded snapshot to an instance: whole to restore(), or a groups list entry by entry. */
function restoreInto(instance: UdfInstance, decoded: Extract<DecodedSnapshot, { kind: 'state' | 'groups' }>): void {
  if (decoded.kind === 'state') {
    instance.restore?.(decoded.state);
    return;
  }
  instance.restore?.(decoded.head);
  const restoreGroup = instance.restoreGroup?.bind(instance);
  if (restoreGroup === undefined) throw new Error('the function has no restoreGroup() for a groups snapshot');
  for (const entry of decoded.groups) restoreGroup(entry);
}

// What a point counts against --max-batch-bytes when its encoded size is not known.
const APPROX_POINT_BYTES = 128;

// What a point held in an open batch costs beyond its encoded bytes, for the host-wide budget:
// decoded (its object, fields record, time as BigInt), a point of a typical series takes about
// 120 bytes of heap besides strings of its encoded size, plus its slot in the batch's array.
const DECODED_POINT_OVERHEAD = 128;

interface OpenBatch {
  begin: BeginBatch;
  points: Point[];
  pointsIn: number;
  bytesIn: number;
  /** Estimated bytes the batch holds: encoded size plus DECODED_POINT_OVERHEAD per point. */
  held: number;
  /** What the batch has taken of the host-wide budget (whole steps, at least `held`). */
  reserved: number;
}

// V8's messages for a write to a frozen object or array ("Cannot assign to read only property",
// "Cannot add property x, object is not extensible", "Cannot delete property").
const WRITE_TO_FROZEN = /^Cannot (assign to read only|add|delete|define) property/;
const READ_ONLY_HINT =
  ' (input points are read-only: emit a new point made with withFields or derivePoint, or with its own tags)';

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Whether `out` carries `input`'s time, name, database, retention policy, group, dimensions and
 * tags, the tag and dimension objects being the very same (input points are read-only). byName is
 * written from `out` itself, with its fields.
 */
function sameBeforeFields(out: Point, input: Point): boolean {
  return (
    out.tags === input.tags &&
    out.dimensions === input.dimensions &&
    out.time === input.time &&
    out.name === input.name &&
    out.group === input.group &&
    out.database === input.database &&
    out.retentionPolicy === input.retentionPolicy
  );
}
