import { pino } from 'pino';
import { Session } from '../../src/host/index.js';
import {
  freezeRequest,
  type BeginBatch,
  type EndBatch,
  type Fields,
  type InitOption,
  type OptionValue,
  type Point,
  type Response,
  type Tags,
} from '../../src/protocol/index.js';
import type { UdfDefinition, UdfInstance } from '../../src/sdk/index.js';
import { parseOptions } from '../../src/sdk/internal.js';

/** Option builders that produce what Kapacitor would send for `.name(value, ...)`. */
export const o = {
  str: (name: string, ...values: string[]): InitOption => ({
    name,
    values: values.map((value) => ({ type: 'string', value })),
  }),
  int: (name: string, value: number | bigint): InitOption => ({
    name,
    values: [{ type: 'int', value: BigInt(value) }],
  }),
  dbl: (name: string, value: number): InitOption => ({ name, values: [{ type: 'double', value }] }),
  bool: (name: string, value: boolean): InitOption => ({ name, values: [{ type: 'bool', value }] }),
  /** A duration in nanoseconds. */
  dur: (name: string, ns: bigint): InitOption => ({ name, values: [{ type: 'duration', value: ns }] }),
  raw: (name: string, values: OptionValue[]): InitOption => ({ name, values }),
};

export const SECOND = 1_000_000_000n;

export interface PointSpec {
  time: bigint | number;
  fields: Fields;
  group?: string;
  tags?: Tags;
  name?: string;
  dimensions?: string[];
}

/** A stream point; `time` given as a number is taken as seconds. */
export function pt(spec: PointSpec): Point {
  const tags = spec.tags ?? (spec.group !== undefined && spec.group !== '' ? { g: spec.group } : {});
  return {
    time: typeof spec.time === 'bigint' ? spec.time : BigInt(spec.time) * SECOND,
    name: spec.name ?? 'm',
    database: 'db',
    retentionPolicy: 'autogen',
    group: spec.group ?? '',
    dimensions: spec.dimensions ?? Object.keys(tags).sort(),
    tags,
    fields: spec.fields,
    byName: false,
  };
}

export function begin(group: string, extra: Partial<BeginBatch> = {}): BeginBatch {
  return { name: 'm', group, tags: group === '' ? {} : { g: group }, size: 0n, byName: false, ...extra };
}

export function end(group: string, tmax: bigint, extra: Partial<EndBatch> = {}): EndBatch {
  return { name: 'm', group, tmax, tags: group === '' ? {} : { g: group }, byName: false, ...extra };
}

/** One batch as it arrives from Kapacitor: BeginBatch, points, EndBatch. */
export interface BatchSpec {
  group: string;
  points: Point[];
  tmax: bigint;
}

/**
 * Drives a {@link Session} in memory: no sockets, responses collected in order.
 * Every helper throws when the session answers with an error, so a test fails loudly.
 */
export class Harness {
  readonly responses: Response[] = [];
  readonly session: Session;

  constructor(readonly def: UdfDefinition) {
    this.session = new Session(def, pino({ level: 'silent' }), (r) => this.responses.push(r));
  }

  /** Sends Init; returns the InitResponse. */
  init(options: InitOption[] = []): Extract<Response, { kind: 'init' }> {
    this.session.handle({ kind: 'init', options, taskID: 'task', nodeID: 'node' });
    const last = this.responses.at(-1);
    if (last?.kind !== 'init') throw new Error(`expected an InitResponse, got ${last?.kind ?? 'nothing'}`);
    return last;
  }

  /** Init that must succeed. */
  start(options: InitOption[] = []): this {
    const res = this.init(options);
    if (!res.success) throw new Error(`Init failed: ${res.error}`);
    return this;
  }

  /** Feeds stream points; returns the points emitted for them. */
  feed(points: Iterable<Point>): Point[] {
    const from = this.responses.length;
    for (const p of points) this.send({ kind: 'point', point: p });
    return this.pointsSince(from);
  }

  /** Feeds one batch; returns everything the session sent for it, in order. */
  batch(spec: BatchSpec): Response[] {
    const from = this.responses.length;
    this.send({ kind: 'begin', begin: begin(spec.group, { size: BigInt(spec.points.length) }) });
    for (const p of spec.points) this.send({ kind: 'point', point: p });
    this.send({ kind: 'end', end: end(spec.group, spec.tmax) });
    return this.responses.slice(from);
  }

  /** Feeds batches; returns only the points that came back (inside their output batches). */
  batches(specs: Iterable<BatchSpec>): Point[] {
    const out: Point[] = [];
    for (const spec of specs) for (const r of this.batch(spec)) if (r.kind === 'point') out.push(r.point);
    return out;
  }

  snapshot(): Uint8Array {
    this.send({ kind: 'snapshot' });
    const last = this.responses.at(-1);
    if (last?.kind !== 'snapshot') throw new Error(`expected a SnapshotResponse, got ${last?.kind ?? 'nothing'}`);
    return last.snapshot;
  }

  /** Sends RestoreRequest; returns the RestoreResponse. */
  restore(bytes: Uint8Array): Extract<Response, { kind: 'restore' }> {
    this.session.handle({ kind: 'restore', snapshot: bytes });
    const last = this.responses.at(-1);
    if (last?.kind !== 'restore') throw new Error(`expected a RestoreResponse, got ${last?.kind ?? 'nothing'}`);
    return last;
  }

  /** A new session of the same function, initialised with `options` and restored from this one's snapshot. */
  fork(options: InitOption[] = []): Harness {
    const next = new Harness(this.def).start(options);
    const res = next.restore(this.snapshot());
    if (!res.success) throw new Error(`Restore failed: ${res.error}`);
    return next;
  }

  pointsSince(from: number): Point[] {
    return this.responses.slice(from).flatMap((r) => (r.kind === 'point' ? [r.point] : []));
  }

  private send(request: Parameters<Session['handle']>[0]): void {
    // Frozen as for a user's function, so every function test also checks that the built-ins,
    // which the host does not freeze for, never write to an input point.
    const verdict = this.session.handle(freezeRequest(request));
    const last = this.responses.at(-1);
    if (verdict === 'close' || last?.kind === 'error') {
      throw new Error(`session failed: ${last?.kind === 'error' ? last.error : 'closed'}`);
    }
  }
}

/** Runs `points` through one session, and again split at `at` across snapshot -> restore. */
export function runSplit(
  def: UdfDefinition,
  options: InitOption[],
  points: Point[],
  at: number,
): { whole: Point[]; split: Point[] } {
  const whole = new Harness(def).start(options).feed(points);
  const first = new Harness(def).start(options);
  const head = first.feed(points.slice(0, at));
  const tail = first.fork(options).feed(points.slice(at));
  return { whole, split: [...head, ...tail] };
}

/** Same as {@link runSplit} for batches, split between batches. */
export function runSplitBatches(
  def: UdfDefinition,
  options: InitOption[],
  batches: BatchSpec[],
  at: number,
): { whole: Point[]; split: Point[] } {
  const whole = new Harness(def).start(options).batches(batches);
  const first = new Harness(def).start(options);
  const head = first.batches(batches.slice(0, at));
  const tail = first.fork(options).batches(batches.slice(at));
  return { whole, split: [...head, ...tail] };
}

/** A comparable plain form of points (null-prototype records and bigints made deep-equal friendly). */
export function plain(points: Point[]): unknown[] {
  return points.map((p) => ({
    time: p.time,
    name: p.name,
    group: p.group,
    tags: { ...p.tags },
    dimensions: [...p.dimensions],
    fields: { ...p.fields },
  }));
}

/**
 * The function instance itself, without a Session, for long streams where collecting millions of
 * responses would only measure the harness.
 */
export function directInstance(def: UdfDefinition, options: InitOption[]): UdfInstance {
  const log = pino({ level: 'silent' });
  return def.create({ options: parseOptions(def.options, options), taskID: 'task', nodeID: 'node', log });
}
