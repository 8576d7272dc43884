/**
 * Fuzz targets shared by the CI fuzz test (test/reliability/fuzz.test.ts) and the long
 * campaign (scripts/fuzz.ts, run from its compiled copy in dist/).
 *
 * Three targets, each a pure synchronous function that throws an Error with a `violation`
 * property when an invariant breaks:
 * - `checkFrames`: FrameDecoder + decodeRequest over any bytes and any chunking;
 * - `checkSessionScript`: a Session driven by a script of requests, including snapshots
 *   re-enveloped with mutated state;
 * - `checkPipeline`: bytes -> FrameDecoder -> decodeRequest -> Session -> FrameWriter, the way
 *   SessionRunner does it, for mutated encodings of valid request streams.
 */
import fc from 'fast-check';
import { pino } from 'pino';
import { Session } from '../../src/host/index.js';
import {
  FrameDecoder,
  FrameError,
  FrameWriter,
  ProtocolError,
  decodeRequest,
  decodeResponse,
  encodeFrame,
  encodeRequest,
  encodeResponse,
  type FieldValue,
  type InitOption,
  type OptionValue,
  type Point,
  type Request,
  type Response,
  type ValueType,
} from '../../src/protocol/index.js';
import { describeUdf } from '../../src/sdk/internal.js';
import type { UdfDefinition } from '../../src/sdk/index.js';
import { builtinUdfs } from '../../udfs/index.js';

export class Violation extends Error {
  override readonly name = 'Violation';
  constructor(
    readonly violation: string,
    message: string,
  ) {
    super(`${violation}: ${message}`);
  }
}

const SILENT = pino({ level: 'silent' });

export const FUNCTIONS: readonly UdfDefinition[] = builtinUdfs;

export function functionNamed(name: string): UdfDefinition {
  const def = FUNCTIONS.find((d) => d.name === name);
  if (def === undefined) throw new Error(`no built-in function ${name}`);
  return def;
}

// ---------------------------------------------------------------------------------------------
// Target (a): frames

/** What an independent reading of the framing rules says a whole byte stream holds. */
interface ReferenceFrames {
  frames: Uint8Array[];
  end:
    | { kind: 'clean' }
    | { kind: 'partial'; bytes: number }
    | { kind: 'error'; code: 'KUDF_FRAME_TOO_LARGE' | 'KUDF_FRAME_BAD_LENGTH' };
}

/** A deliberately naive decoder (bigint arithmetic, whole stream at once) to compare against. */
export function referenceFrames(bytes: Uint8Array, maxFrameBytes: number): ReferenceFrames {
  const frames: Uint8Array[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    let value = 0n;
    let i = 0;
    let complete = false;
    for (; i < 10; i++) {
      if (pos + i >= bytes.length) return { frames, end: { kind: 'partial', bytes: bytes.length - pos } };
      const b = bytes[pos + i] as number;
      value |= BigInt(b & 0x7f) << BigInt(7 * i);
      if (b < 0x80) {
        complete = true;
        break;
      }
    }
    if (!complete || value >= 1n << 64n) return { frames, end: { kind: 'error', code: 'KUDF_FRAME_BAD_LENGTH' } };
    if (value > BigInt(maxFrameBytes)) return { frames, end: { kind: 'error', code: 'KUDF_FRAME_TOO_LARGE' } };
    const start = pos + i + 1;
    const stop = start + Number(value);
    if (stop > bytes.length) return { frames, end: { kind: 'partial', bytes: bytes.length - pos } };
    frames.push(bytes.subarray(start, stop));
    pos = stop;
  }
  return { frames, end: { kind: 'clean' } };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Splits `bytes` at the given cut points (any numbers; taken modulo the length, sorted). */
export function chunk(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  if (bytes.length === 0) return [bytes];
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const c of at) {
    out.push(bytes.slice(from, c));
    from = c;
  }
  out.push(bytes.slice(from));
  return out;
}

export interface FramesOutcome {
  frames: number;
  requests: number;
  end: string;
}

/**
 * Feeds `bytes` in the given chunks; every frame must equal the reference's, the decoder may
 * throw only FrameError with the reference's code, decodeRequest only ProtocolError, and what
 * stays buffered after the frames are taken is less than one prefix plus one maximal body.
 */
export function checkFrames(bytes: Uint8Array, cuts: readonly number[], maxFrameBytes: number): FramesOutcome {
  const expected = referenceFrames(bytes, maxFrameBytes);
  const decoder = new FrameDecoder({ maxFrameBytes });
  let n = 0;
  let requests = 0;
  let failure: FrameError | undefined;
  for (const piece of chunk(bytes, cuts)) {
    try {
      decoder.feed(piece);
      for (let body = decoder.nextFrame(); body !== undefined; body = decoder.nextFrame()) {
        const want = expected.frames[n];
        if (want === undefined || !sameBytes(body, want))
          throw new Violation('frame-mismatch', `frame ${n} differs from the reference`);
        n++;
        try {
          decodeRequest(body);
          requests++;
        } catch (err) {
          if (!(err instanceof ProtocolError))
            throw new Violation('decode-threw', `decodeRequest threw ${describe(err)}`);
        }
      }
    } catch (err) {
      if (err instanceof Violation) throw err;
      if (!(err instanceof FrameError)) throw new Violation('decoder-threw', `FrameDecoder threw ${describe(err)}`);
      failure = err;
      break;
    }
    if (decoder.bufferedBytes >= maxFrameBytes + 10) {
      throw new Violation(
        'over-buffered',
        `${decoder.bufferedBytes} bytes buffered with a ${maxFrameBytes}-byte limit`,
      );
    }
  }
  if (n !== expected.frames.length)
    throw new Violation('frame-count', `decoded ${n} frames, reference has ${expected.frames.length}`);
  const end = expected.end;
  if (end.kind === 'error') {
    if (failure?.code !== end.code)
      throw new Violation(
        'frame-error',
        `expected ${end.code}, got ${failure === undefined ? 'no error' : failure.code}`,
      );
    let rethrown = false;
    try {
      decoder.feed(new Uint8Array([0]));
    } catch (err) {
      rethrown = err === failure;
    }
    if (!rethrown) throw new Violation('frame-error-sticky', 'a failed decoder accepted more bytes');
  } else {
    if (failure !== undefined) throw new Violation('frame-error', `unexpected ${failure.code}`);
    const left = end.kind === 'partial' ? end.bytes : 0;
    if (decoder.bufferedBytes !== left)
      throw new Violation('partial-bytes', `buffered ${decoder.bufferedBytes}, expected ${left}`);
  }
  return { frames: n, requests, end: end.kind === 'error' ? end.code : end.kind };
}

// ---------------------------------------------------------------------------------------------
// Session invariants

/** Watches everything a session sends, in order, and checks it as Kapacitor would. */
class ResponseAuditor {
  readonly responses: Response[] = [];
  private readonly writer = new FrameWriter({ initialCapacity: 256 });
  private batchOpen = false;
  private errored = false;
  readonly kinds = new Set<string>();
  lastError = '';

  constructor(private readonly info: Response) {}

  /** The session's `send`: encodes the way SessionRunner does (a throw here reaches the session). */
  readonly send = (r: Response): void => {
    this.writer.writeResponse(r);
    this.writer.take();
    this.audit(r);
  };

  private audit(r: Response): void {
    if (this.errored) throw new Violation('after-error', `a ${r.kind} response followed an ErrorResponse`);
    this.responses.push(r);
    this.kinds.add(r.kind);
    let back: Response;
    try {
      back = decodeResponse(encodeResponse(r));
    } catch (err) {
      throw new Violation('no-content', `a ${r.kind} response does not decode back: ${describe(err)}`);
    }
    if (back.kind !== r.kind) throw new Violation('no-content', `a ${r.kind} response decodes as ${back.kind}`);
    switch (r.kind) {
      case 'begin':
        if (this.batchOpen) throw new Violation('nested-begin', 'BeginBatch while an output batch is open');
        this.batchOpen = true;
        break;
      case 'end':
        if (!this.batchOpen) throw new Violation('end-without-begin', 'EndBatch without a BeginBatch');
        this.batchOpen = false;
        break;
      case 'error':
        this.errored = true;
        this.lastError = r.error;
        if (r.error === '') throw new Violation('empty-error', 'ErrorResponse with no text');
        break;
      case 'info':
        if (JSON.stringify(r) !== JSON.stringify(this.info))
          throw new Violation('info', 'InfoResponse differs from the declaration');
        break;
      default:
    }
  }

  get failed(): boolean {
    return this.errored;
  }
}

const MANAGEMENT = new Set(['info', 'init', 'snapshot', 'restore']);

/**
 * Drives one request through the session and checks the request-level rules: handle never
 * throws, a management request gets exactly its own reply (or the session ends with an error),
 * and once closed the session sends nothing more.
 */
function drive(session: Session, audit: ResponseAuditor, request: Request, closed: boolean): boolean {
  const before = audit.responses.length;
  let verdict;
  try {
    verdict = session.handle(request);
  } catch (err) {
    if (err instanceof Violation) throw err;
    throw new Violation('session-threw', `Session.handle(${request.kind}) threw ${describe(err)}`);
  }
  const sent = audit.responses.slice(before);
  if (closed) {
    if (sent.length > 0 || verdict !== 'close')
      throw new Violation('after-close', `a closed session answered ${request.kind}`);
    return true;
  }
  if (verdict === 'close' && !audit.failed)
    throw new Violation('silent-close', `session closed on ${request.kind} without an ErrorResponse`);
  if (audit.failed && verdict !== 'close')
    throw new Violation('error-continues', 'session went on after an ErrorResponse');
  if (MANAGEMENT.has(request.kind)) {
    const replies = sent.filter((r) => MANAGEMENT.has(r.kind));
    const ok = audit.failed ? replies.length === 0 : replies.length === 1 && replies[0]?.kind === request.kind;
    if (!ok) throw new Violation('reply', `${request.kind} got ${sent.map((r) => r.kind).join(',') || 'nothing'}`);
  } else if (sent.some((r) => MANAGEMENT.has(r.kind))) {
    throw new Violation('unrequested', `${request.kind} was answered with a management reply`);
  }
  return verdict === 'close';
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

const FIELD_NAMES = ['v', 'w', 'value', 'state', 'x'];
const STRINGS = [
  'v',
  'w',
  'value',
  'state',
  '',
  '*',
  'up',
  'down',
  'prev_',
  'dur',
  '__proto__',
  'constructor',
  'é\u0000',
];

const int64 = fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
const smallTime = fc.bigInt({ min: 0n, max: 3_600_000_000_000n });

const fieldValue: fc.Arbitrary<FieldValue> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -5, max: 5 }).map((n) => n / 2) },
  { weight: 2, arbitrary: fc.double() },
  { weight: 2, arbitrary: fc.integer({ min: -5, max: 5 }).map(BigInt) },
  { weight: 1, arbitrary: int64 },
  { weight: 2, arbitrary: fc.constantFrom(...STRINGS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
  { weight: 2, arbitrary: fc.boolean() },
);

function record<V>(
  keys: fc.Arbitrary<string>,
  values: fc.Arbitrary<V>,
  maxKeys: number,
): fc.Arbitrary<Record<string, V>> {
  return fc.array(fc.tuple(keys, values), { maxLength: maxKeys }).map((entries) => {
    const out = Object.create(null) as Record<string, V>;
    for (const [k, v] of entries) out[k] = v;
    return out;
  });
}

const groupName = fc.constantFrom('', 'host=a', 'host=b', 'm\nhost=a', 'host=c,port=1');

function pointArb(time: fc.Arbitrary<bigint>): fc.Arbitrary<Point> {
  return fc
    .record({
      time,
      name: fc.constantFrom('m', 'cpu', '', 'adsl'),
      group: groupName,
      host: fc.constantFrom('a', 'b', 'c'),
      tags: record(fc.constantFrom('host', 'port', 'x', ''), fc.constantFrom('a', 'b', '1', ''), 2),
      fields: record(fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 4 })), fieldValue, 4),
      byName: fc.boolean(),
    })
    .map(({ time: t, name, group, host, tags, fields, byName }) => {
      const allTags = Object.assign(Object.create(null) as Record<string, string>, tags, { host });
      return {
        time: t,
        name,
        database: 'db',
        retentionPolicy: 'rp',
        group,
        dimensions: Object.keys(allTags).sort(),
        tags: allTags,
        fields,
        byName,
      };
    });
}

const anyPoint = pointArb(fc.oneof({ weight: 5, arbitrary: smallTime }, { weight: 1, arbitrary: int64 }));

function optionValue(type: ValueType): fc.Arbitrary<OptionValue> {
  switch (type) {
    case 'bool':
      return fc.boolean().map((value) => ({ type, value }));
    case 'int':
      return fc.oneof(fc.integer({ min: -2, max: 12 }).map(BigInt), int64).map((value) => ({ type, value }));
    case 'double':
      return fc.oneof(fc.constantFrom(0, 0.1, 0.5, 1, 1.5, 3), fc.double()).map((value) => ({ type, value }));
    case 'string':
      return fc.oneof(fc.constantFrom(...STRINGS), fc.string({ maxLength: 6 })).map((value) => ({ type, value }));
    case 'duration':
      return fc
        .oneof(fc.constantFrom(0n, 1n, 1_000_000_000n, 5_000_000_000n, 60_000_000_000n, -1n), int64)
        .map((value) => ({ type, value }));
  }
}

const VALUE_TYPES: ValueType[] = ['bool', 'int', 'double', 'string', 'duration'];
const anyOptionValue = fc.constantFrom(...VALUE_TYPES).chain(optionValue);

/** Init options for `def`: mostly declared names with the declared types, sometimes anything. */
export function initOptionsArb(def: UdfDefinition): fc.Arbitrary<InitOption[]> {
  const declared = describeUdf(def).options;
  const names = Object.keys(declared);
  const wellTyped = (name: string): fc.Arbitrary<InitOption> => {
    const types = declared[name]?.valueTypes ?? [];
    return fc.tuple(...types.map(optionValue)).map((values) => ({ name, values }));
  };
  const one: fc.Arbitrary<InitOption> =
    names.length === 0
      ? fc.record({ name: fc.string({ maxLength: 5 }), values: fc.array(anyOptionValue, { maxLength: 2 }) })
      : fc.oneof(
          { weight: 8, arbitrary: fc.constantFrom(...names).chain(wellTyped) },
          {
            weight: 1,
            arbitrary: fc.record({
              name: fc.constantFrom(...names),
              values: fc.array(anyOptionValue, { maxLength: 3 }),
            }),
          },
          {
            weight: 1,
            arbitrary: fc.record({
              name: fc.string({ maxLength: 5 }),
              values: fc.array(anyOptionValue, { maxLength: 2 }),
            }),
          },
        );
  // Most functions need `field`: give it most of the time so that Init succeeds and points flow.
  const field = names.includes('field')
    ? fc.option(
        fc
          .constantFrom(...FIELD_NAMES)
          .map((v): InitOption => ({ name: 'field', values: [{ type: 'string', value: v }] })),
        { freq: 6 },
      )
    : fc.constant(null);
  return fc.tuple(field, fc.array(one, { maxLength: 4 })).map(([f, rest]) => (f === null ? rest : [f, ...rest]));
}

/** One step of a session script. `restore` carries a recipe because a valid snapshot only exists at run time. */
export type Step =
  | { op: 'request'; request: Request }
  | { op: 'restore-bytes'; bytes: Uint8Array }
  | { op: 'restore-own' }
  | { op: 'restore-mutated'; path: number; replacement: unknown };

function stepArb(def: UdfDefinition): fc.Arbitrary<Step> {
  const req = (a: fc.Arbitrary<Request>): fc.Arbitrary<Step> =>
    a.map((request) => ({ op: 'request' as const, request }));
  return fc.oneof(
    { weight: 1, arbitrary: req(fc.constant({ kind: 'info' })) },
    {
      weight: 2,
      arbitrary: req(
        initOptionsArb(def).map((options) => ({ kind: 'init' as const, options, taskID: 't', nodeID: 'n' })),
      ),
    },
    { weight: 1, arbitrary: req(int64.map((time) => ({ kind: 'keepalive' as const, time }))) },
    { weight: 2, arbitrary: req(fc.constant({ kind: 'snapshot' })) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((bytes): Step => ({ op: 'restore-bytes', bytes })) },
    { weight: 1, arbitrary: fc.constant<Step>({ op: 'restore-own' }) },
    {
      weight: 3,
      arbitrary: fc
        .record({
          path: fc.nat(),
          replacement: fc.oneof(
            fc.jsonValue({ maxDepth: 2 }),
            fc.constantFrom<unknown>({ $bigint: '-1' }, { $number: 'NaN' }, [], null, -1, 1e308, 'x'),
          ),
        })
        .map(({ path, replacement }): Step => ({ op: 'restore-mutated', path, replacement })),
    },
    {
      weight: 3,
      arbitrary: req(
        fc
          .record({
            name: fc.constantFrom('m', ''),
            group: groupName,
            size: fc.bigInt({ min: -1n, max: 5n }),
            byName: fc.boolean(),
          })
          .map((b) => ({
            kind: 'begin' as const,
            begin: { ...b, tags: Object.create(null) as Record<string, string> },
          })),
      ),
    },
    { weight: 12, arbitrary: req(anyPoint.map((point) => ({ kind: 'point' as const, point }))) },
    {
      weight: 3,
      arbitrary: req(
        fc
          .record({ name: fc.constantFrom('m', ''), group: groupName, tmax: smallTime, byName: fc.boolean() })
          .map((e) => ({
            kind: 'end' as const,
            end: { ...e, tags: Object.create(null) as Record<string, string> },
          })),
      ),
    },
  );
}

export interface Script {
  fn: string;
  steps: Step[];
}

/** A session script for a random built-in function: usually Init first, then anything. */
export const scriptArb: fc.Arbitrary<Script> = fc.constantFrom(...FUNCTIONS).chain((def) =>
  fc
    .tuple(fc.boolean(), initOptionsArb(def), fc.array(stepArb(def), { maxLength: 40 }))
    .map(([initFirst, options, steps]): Script => ({
      fn: def.name,
      steps: initFirst
        ? [{ op: 'request', request: { kind: 'init', options, taskID: 't', nodeID: 'n' } }, ...steps]
        : steps,
    })),
);

// ---------------------------------------------------------------------------------------------
// Target (b): session scripts

function paths(
  value: unknown,
  prefix: Array<string | number> = [],
  out: Array<Array<string | number>> = [],
): Array<Array<string | number>> {
  out.push(prefix);
  if (out.length > 64) return out;
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

/** The last snapshot the session returned, with the state at one of its paths replaced. */
function mutatedSnapshot(own: Uint8Array | undefined, path: number, replacement: unknown): Uint8Array {
  if (own === undefined)
    return new TextEncoder().encode(JSON.stringify({ format: 'kudf-snapshot', state: replacement }));
  const envelope = JSON.parse(Buffer.from(own).toString('utf8')) as { state: unknown };
  const all = paths(envelope.state);
  const target = all[path % all.length] ?? [];
  if (target.length === 0) envelope.state = replacement;
  else {
    let node = envelope.state as Record<string | number, unknown>;
    for (const key of target.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
    node[target[target.length - 1] as string | number] = replacement;
  }
  return new TextEncoder().encode(JSON.stringify(envelope));
}

export interface SessionOutcome {
  responses: number;
  kinds: string[];
  error: string;
}

export function checkSessionScript(script: Script): SessionOutcome {
  const def = functionNamed(script.fn);
  const audit = new ResponseAuditor(describeUdf(def));
  const session = new Session(def, SILENT, audit.send);
  let closed = false;
  let own: Uint8Array | undefined;
  for (const step of script.steps) {
    let request: Request;
    if (step.op === 'request') request = step.request;
    else if (step.op === 'restore-bytes') request = { kind: 'restore', snapshot: step.bytes };
    else if (step.op === 'restore-own') request = { kind: 'restore', snapshot: own ?? new Uint8Array(0) };
    else request = { kind: 'restore', snapshot: mutatedSnapshot(own, step.path, step.replacement) };
    closed = drive(session, audit, request, closed);
    const last = audit.responses.at(-1);
    if (last?.kind === 'snapshot') own = last.snapshot;
  }
  return { responses: audit.responses.length, kinds: [...audit.kinds].sort(), error: audit.lastError };
}

// ---------------------------------------------------------------------------------------------
// Target (c): the whole pipeline over mutated encodings

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number; to: number };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      at: fc.nat(),
      byte: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0x08, 0x12, 0x0a),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 8 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('duplicate' as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 40 }),
      to: fc.nat(),
    }),
  },
);

export function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = Buffer.from(bytes);
  for (const m of mutations) {
    const at = b.length === 0 ? 0 : m.at % b.length;
    switch (m.kind) {
      case 'flip':
        if (b.length > 0) b[at] = (b[at] as number) ^ (1 << m.bit);
        break;
      case 'set':
        if (b.length > 0) b[at] = m.byte;
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.length)]);
        break;
      case 'duplicate': {
        const piece = b.subarray(at, at + m.length);
        const to = m.to % (b.length + 1);
        b = Buffer.concat([b.subarray(0, to), piece, b.subarray(to)]);
        break;
      }
    }
  }
  return new Uint8Array(b);
}

/** A valid request stream for a random function, as bytes, plus the function's name. */
export const encodedScriptArb: fc.Arbitrary<{ fn: string; bytes: Uint8Array }> = scriptArb.map((script) => {
  const frames = script.steps.map((s) =>
    encodeFrame(
      encodeRequest(
        s.op === 'request'
          ? s.request
          : { kind: 'restore', snapshot: s.op === 'restore-bytes' ? s.bytes : new Uint8Array(0) },
      ),
    ),
  );
  return { fn: script.fn, bytes: new Uint8Array(Buffer.concat(frames)) };
});

export interface PipelineOutcome {
  frames: number;
  responses: number;
  /** The ErrorResponse text, or '' when the session did not fail. */
  error: string;
  signature: string;
}

/**
 * Runs bytes through the host's pipeline for one function, as SessionRunner.data does: a bad
 * frame or request ends the session with an ErrorResponse; nothing else may throw.
 */
export function checkPipeline(
  fn: string,
  bytes: Uint8Array,
  cuts: readonly number[],
  maxFrameBytes = 1 << 16,
): PipelineOutcome {
  const def = functionNamed(fn);
  const audit = new ResponseAuditor(describeUdf(def));
  const session = new Session(def, SILENT, audit.send);
  const decoder = new FrameDecoder({ maxFrameBytes });
  let closed = false;
  let frames = 0;
  for (const piece of chunk(bytes, cuts)) {
    if (closed) break;
    try {
      decoder.feed(piece);
      for (let body = decoder.nextFrame(); body !== undefined && !closed; body = decoder.nextFrame()) {
        frames++;
        let request: Request;
        try {
          request = decodeRequest(body);
        } catch (err) {
          if (!(err instanceof ProtocolError))
            throw new Violation('decode-threw', `decodeRequest threw ${describe(err)}`);
          const before = audit.responses.length;
          session.fail(`invalid request: ${err.message}`);
          if (audit.responses.length !== before + 1 || !audit.failed)
            throw new Violation('fail', 'Session.fail sent no single ErrorResponse');
          closed = true;
          break;
        }
        closed = drive(session, audit, request, closed);
      }
    } catch (err) {
      if (err instanceof Violation) throw err;
      if (!(err instanceof FrameError)) throw new Violation('pipeline-threw', `pipeline threw ${describe(err)}`);
      session.fail(`invalid frame: ${err.message}`);
      if (!audit.failed) throw new Violation('fail', 'a bad frame sent no ErrorResponse');
      closed = true;
    }
    if (decoder.bufferedBytes >= maxFrameBytes + 10 + piece.length) {
      throw new Violation('over-buffered', `${decoder.bufferedBytes} bytes buffered`);
    }
  }
  // The signature groups inputs by what they exercised, so the campaign can keep one of each.
  const error = audit.lastError
    .replace(/\d+/g, '#')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\s+at offset.*$/, '')
    .slice(0, 60);
  const output = ['point', 'begin', 'snapshot'].filter((k) => audit.kinds.has(k)).join(',');
  return { frames, responses: audit.responses.length, error: audit.lastError, signature: `${fn}|${output}|${error}` };
}

function describe(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}

// ---------------------------------------------------------------------------------------------
// Properties, for fc.assert / fc.check

export const framesProperty = (): fc.IPropertyWithHooks<[Uint8Array, number[], number]> =>
  fc.property(
    fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      // Mostly-valid streams: frames of small bodies, so that whole frames and partials both occur.
      fc
        .array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 })
        .map((bodies) => new Uint8Array(Buffer.concat(bodies.map((b) => encodeFrame(b))))),
      encodedScriptArb.map((s) => s.bytes),
    ),
    fc.array(fc.nat(), { maxLength: 12 }),
    fc.constantFrom(0, 3, 64, 1 << 16),
    (bytes, cuts, maxFrameBytes) => {
      checkFrames(bytes, cuts, maxFrameBytes);
    },
  );

export const sessionProperty = (): fc.IPropertyWithHooks<[Script]> =>
  fc.property(scriptArb, (script) => {
    checkSessionScript(script);
  });

export const pipelineProperty = (
  onOutcome?: (fn: string, bytes: Uint8Array, outcome: PipelineOutcome) => void,
): fc.IPropertyWithHooks<[{ fn: string; bytes: Uint8Array }, Mutation[], number[]]> =>
  fc.property(
    encodedScriptArb,
    fc.array(mutationArb, { maxLength: 4 }),
    fc.array(fc.nat(), { maxLength: 6 }),
    (script, mutations, cuts) => {
      const bytes = mutate(script.bytes, mutations);
      const outcome = checkPipeline(script.fn, bytes, cuts);
      onOutcome?.(script.fn, bytes, outcome);
    },
  );

/** Raw bytes only: the cheapest target, so the campaign spends most of its inputs here. */
export const rawFramesProperty = (): fc.IPropertyWithHooks<[Uint8Array, number[], number]> =>
  fc.property(
    fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc
        .array(fc.uint8Array({ maxLength: 24 }), { maxLength: 6 })
        .map((bodies) => new Uint8Array(Buffer.concat(bodies.map((b) => encodeFrame(b))))),
    ),
    fc.array(fc.nat(), { maxLength: 8 }),
    fc.constantFrom(0, 3, 64, 1 << 16),
    (bytes, cuts, maxFrameBytes) => {
      checkFrames(bytes, cuts, maxFrameBytes);
    },
  );

/** Corpus replay: a pipeline file is `<function>-<anything>.bin`, any other file is a frames input. */
export function replayCorpusFile(name: string, bytes: Uint8Array): void {
  const dash = name.indexOf('-');
  const fn = dash > 0 ? name.slice(0, dash) : '';
  for (const cuts of [[], [1], [3, 7, 11], Array.from({ length: bytes.length }, (_, i) => i)]) {
    checkFrames(bytes, cuts, 1 << 16);
    checkFrames(bytes, cuts, 64);
    if (FUNCTIONS.some((d) => d.name === fn)) checkPipeline(fn, bytes, cuts);
  }
}
