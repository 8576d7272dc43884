/**
 * An independent reference for the codec tests: protobufjs reflection loaded straight from
 * proto/udf.proto, with its own conversions to and from our types (Long <-> bigint through
 * decimal strings, nothing shared with src/protocol).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import type { BeginBatch, EndBatch, FieldValue, Fields, Point } from '../../src/protocol/index.js';

// protobufjs's Long class (from the `long` package), typed loosely by protobufjs.
const Long = protobuf.util.Long as unknown as { fromString(s: string, unsigned: boolean): unknown };

function protoPath(): string {
  for (const rel of ['../../proto/udf.proto', '../../../proto/udf.proto']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  throw new Error('proto/udf.proto not found');
}

export const referenceRoot: protobuf.Root = protobuf.parse(readFileSync(protoPath(), 'utf8'), { keepCase: true }).root;
referenceRoot.resolveAll();

export const RefRequest = referenceRoot.lookupType('agent.Request');
export const RefResponse = referenceRoot.lookupType('agent.Response');

type Obj = Record<string, unknown>;

export function toLong(v: bigint): unknown {
  return Long.fromString(v.toString(), false);
}

export function fromLong(v: unknown): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'number') return BigInt(v);
  return BigInt((v as { toString(): string }).toString());
}

function nullProto<T>(entries: Iterable<[string, T]>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const [k, v] of entries) out[k] = v;
  return out;
}

function mapEntries<T>(m: unknown): [string, T][] {
  if (!m) return [];
  return Object.keys(m as Obj).map((k) => [k, (m as Record<string, T>)[k] as T]);
}

function plainMap<T>(m: Record<string, T>, convert: (v: T) => unknown = (v) => v): Obj {
  // defineProperty so a `__proto__` key stays a key.
  const out: Obj = {};
  for (const k of Object.keys(m)) {
    Object.defineProperty(out, k, { value: convert(m[k] as T), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export function pointToReference(p: Point): Obj {
  const d: Record<string, number> = {};
  const i: Record<string, bigint> = {};
  const s: Record<string, string> = {};
  const b: Record<string, boolean> = {};
  const put = <T>(m: Record<string, T>, k: string, v: T): void => {
    Object.defineProperty(m, k, { value: v, enumerable: true, writable: true, configurable: true });
  };
  for (const k of Object.keys(p.fields)) {
    const v = p.fields[k];
    if (typeof v === 'number') put(d, k, v);
    else if (typeof v === 'bigint') put(i, k, v);
    else if (typeof v === 'string') put(s, k, v);
    else put(b, k, v as boolean);
  }
  return {
    time: toLong(p.time),
    name: p.name,
    database: p.database,
    retentionPolicy: p.retentionPolicy,
    group: p.group,
    dimensions: p.dimensions,
    tags: plainMap(p.tags),
    fieldsDouble: plainMap(d),
    fieldsInt: plainMap(i, toLong),
    fieldsString: plainMap(s),
    fieldsBool: plainMap(b),
    byName: p.byName,
  };
}

export function pointFromReference(m: Obj): Point {
  const fields: Fields = nullProto<number | bigint | string | boolean>([
    ...mapEntries<number>(m['fieldsDouble']),
    ...mapEntries<unknown>(m['fieldsInt']).map(([k, v]): [string, bigint] => [k, fromLong(v)]),
    ...mapEntries<string>(m['fieldsString']),
    ...mapEntries<boolean>(m['fieldsBool']),
  ]);
  return {
    time: fromLong(m['time']),
    name: (m['name'] as string | undefined) ?? '',
    database: (m['database'] as string | undefined) ?? '',
    retentionPolicy: (m['retentionPolicy'] as string | undefined) ?? '',
    group: (m['group'] as string | undefined) ?? '',
    dimensions: [...((m['dimensions'] as string[] | undefined) ?? [])],
    tags: nullProto(mapEntries<string>(m['tags'])),
    fields,
    byName: m['byName'] === true,
  };
}

export function beginToReference(b: BeginBatch): Obj {
  return { name: b.name, group: b.group, tags: plainMap(b.tags), size: toLong(b.size), byName: b.byName };
}

export function beginFromReference(m: Obj): BeginBatch {
  return {
    name: (m['name'] as string | undefined) ?? '',
    group: (m['group'] as string | undefined) ?? '',
    tags: nullProto(mapEntries<string>(m['tags'])),
    size: fromLong(m['size']),
    byName: m['byName'] === true,
  };
}

export function endToReference(e: EndBatch): Obj {
  return { name: e.name, group: e.group, tmax: toLong(e.tmax), tags: plainMap(e.tags), byName: e.byName };
}

export function endFromReference(m: Obj): EndBatch {
  return {
    name: (m['name'] as string | undefined) ?? '',
    group: (m['group'] as string | undefined) ?? '',
    tmax: fromLong(m['tmax']),
    tags: nullProto(mapEntries<string>(m['tags'])),
    byName: m['byName'] === true,
  };
}

/** protobufjs encoding of a Request/Response given in protobufjs object form. */
export function referenceEncode(type: protobuf.Type, message: Obj): Uint8Array {
  return type.encode(message).finish();
}

export function referenceDecode(type: protobuf.Type, body: Uint8Array): Obj {
  return type.decode(body) as unknown as Obj;
}

// ---- fast-check generators for our protocol types ----------------------------------------

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

export const int64 = fc.oneof(
  fc.bigInt({ min: INT64_MIN, max: INT64_MAX }),
  fc.constantFrom(0n, -1n, 1n, INT64_MIN, INT64_MAX, 1514979051065000001n, 2n ** 53n + 1n),
);

// Short ASCII, long, and any-code-point strings: the writer has a path for each.
export const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'binary', minLength: 40, maxLength: 200 }),
);

export const key = fc.oneof({ weight: 1, arbitrary: fc.constant('__proto__') }, { weight: 6, arbitrary: text });

function record<T>(value: fc.Arbitrary<T>): fc.Arbitrary<Record<string, T>> {
  return fc.uniqueArray(fc.tuple(key, value), { selector: ([k]) => k, maxLength: 6 }).map((entries) => {
    const out = Object.create(null) as Record<string, T>;
    for (const [k, v] of entries) out[k] = v;
    return out;
  });
}

export const fieldValue: fc.Arbitrary<FieldValue> = fc.oneof(fc.double(), int64, text, fc.boolean());

// Our decoders build plain objects for messages (null-prototype ones only for maps).
const PLAIN = { noNullPrototype: true } as const;

export const point: fc.Arbitrary<Point> = fc.record(
  {
    time: int64,
    name: text,
    database: text,
    retentionPolicy: text,
    group: text,
    dimensions: fc.array(text, { maxLength: 4 }),
    tags: record(text),
    fields: record(fieldValue),
    byName: fc.boolean(),
  },
  PLAIN,
);

export const beginBatch: fc.Arbitrary<BeginBatch> = fc.record(
  {
    name: text,
    group: text,
    tags: record(text),
    size: int64,
    byName: fc.boolean(),
  },
  PLAIN,
);

export const endBatch: fc.Arbitrary<EndBatch> = fc.record(
  {
    name: text,
    group: text,
    tmax: int64,
    tags: record(text),
    byName: fc.boolean(),
  },
  PLAIN,
);
