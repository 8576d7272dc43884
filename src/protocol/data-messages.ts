/**
 * Hand-written codec for the high-volume messages (Point, BeginBatch, EndBatch): bytes go
 * straight to our types, with no intermediate protobuf objects and no Long.
 */
import { emptyRecord } from './records.js';
import { SeriesCache, seriesEnd } from './series-cache.js';
import type { BeginBatch, EndBatch, FieldValue, Fields, Point, Tags } from './types.js';
import { WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, WireFormatError, type WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

// Tag bytes `(field << 3) | wireType` for the fields we write.
const T1_VARINT = (1 << 3) | WIRE_VARINT;
const T1_LEN = (1 << 3) | WIRE_LEN;
const T2_LEN = (2 << 3) | WIRE_LEN;
const T2_FIXED64 = (2 << 3) | WIRE_FIXED64;
const T2_VARINT = (2 << 3) | WIRE_VARINT;

function expectWireType(actual: number, expected: number, field: string): void {
  if (actual !== expected) {
    throw new WireFormatError(`field ${field} has wire type ${actual}, expected ${expected}`);
  }
}

// ---- decoding -------------------------------------------------------------------------------

type MapValueKind = 'string' | 'double' | 'int' | 'bool';

/** Reads one map entry {key = 1, value = 2} into `target`; missing parts take proto3 defaults. */
function readMapEntry(r: WireReader, target: Record<string, unknown>, kind: MapValueKind, field: string): void {
  const entryEnd = r.delimitedEnd();
  const outerEnd = r.end;
  r.end = entryEnd;
  let key = '';
  let value: string | number | bigint | boolean =
    kind === 'string' ? '' : kind === 'double' ? 0 : kind === 'int' ? 0n : false;
  while (r.pos < entryEnd) {
    const tag = r.uint32();
    const wt = tag & 7;
    switch (tag >>> 3) {
      case 1:
        expectWireType(wt, WIRE_LEN, `${field}.key`);
        key = r.string();
        break;
      case 2:
        if (kind === 'string') {
          expectWireType(wt, WIRE_LEN, `${field}.value`);
          value = r.string();
        } else if (kind === 'double') {
          expectWireType(wt, WIRE_FIXED64, `${field}.value`);
          value = r.double();
        } else if (kind === 'int') {
          expectWireType(wt, WIRE_VARINT, `${field}.value`);
          value = r.int64();
        } else {
          expectWireType(wt, WIRE_VARINT, `${field}.value`);
          value = r.bool();
        }
        break;
      default:
        r.skip(wt);
    }
  }
  r.end = outerEnd;
  target[key] = value;
}

const seriesCache = new SeriesCache();

/** Copies of a cached series' dimensions and tags, for a point that adds to them after its fields. */
function unshare(dimensions: string[], tags: Tags): { dimensions: string[]; tags: Tags; sharedSeries: false } {
  return { dimensions: dimensions.slice(), tags: Object.assign(emptyRecord<string>(), tags), sharedSeries: false };
}

/**
 * Reads a Point occupying the next `len`-prefixed payload, and notes in `r.pointHeader` where its
 * entries before the first field or byName lie: time, name, database, retention policy, group,
 * dimensions and tags as they came. A point derived from this one (new fields, the rest the same)
 * can be written as those bytes plus its fields (writePointBodyAfterHeader) instead of encoding
 * every string again. Kapacitor writes fields and byName last (field-number order); for any
 * other layout, an entry of the first kind after a field, the start is -1 (encode in full).
 */
export function readPoint(r: WireReader): Point {
  const end = r.delimitedEnd();
  const outerEnd = r.end;
  r.end = end;
  const start = r.pos;
  let fieldsAt = -1;
  let inOrder = true;
  let time = 0n;
  let name = '';
  let database = '';
  let retentionPolicy = '';
  let group = '';
  let byName = false;
  // Made only when the point has some and its series is not cached: a cache hit shares the
  // series' own, and two empty objects per point were a sixth of a decoded point's garbage.
  let dimensions: string[] | undefined;
  let tags: Tags | undefined;
  const fields: Fields = emptyRecord<FieldValue>();
  // Kapacitor's layout: time, then the series (name to tags), then fields. A series seen before
  // comes from the cache; its dimensions and tags are then shared, and copied before a change.
  let sharedSeries = false;
  let seriesStart = -1;
  let seriesStop = -1;
  if (r.pos < end && r.buf[r.pos] === T1_VARINT) {
    r.pos++;
    time = r.int64();
  }
  const stop = seriesEnd(r.buf, r.pos, end);
  if (stop > r.pos) {
    const series = seriesCache.lookup(r.buf, r.pos, stop);
    if (series !== undefined) {
      ({ name, database, retentionPolicy, group, dimensions, tags } = series);
      sharedSeries = true;
      r.pos = stop;
    } else {
      seriesStart = r.pos;
      seriesStop = stop;
    }
  }
  while (r.pos < end) {
    const at = r.pos;
    const tag = r.uint32();
    const wt = tag & 7;
    const field = tag >>> 3;
    if (field >= 8 && field <= 12) {
      if (fieldsAt < 0) fieldsAt = at;
    } else if (fieldsAt >= 0) {
      inOrder = false;
    }
    switch (field) {
      case 1:
        expectWireType(wt, WIRE_VARINT, 'Point.time');
        time = r.int64();
        break;
      case 2:
        expectWireType(wt, WIRE_LEN, 'Point.name');
        name = r.string();
        break;
      case 3:
        expectWireType(wt, WIRE_LEN, 'Point.database');
        database = r.string();
        break;
      case 4:
        expectWireType(wt, WIRE_LEN, 'Point.retentionPolicy');
        retentionPolicy = r.string();
        break;
      case 5:
        expectWireType(wt, WIRE_LEN, 'Point.group');
        group = r.string();
        break;
      case 6:
        expectWireType(wt, WIRE_LEN, 'Point.dimensions');
        if (sharedSeries) ({ dimensions, tags, sharedSeries } = unshare(dimensions as string[], tags as Tags));
        (dimensions ??= []).push(r.string());
        break;
      case 7:
        expectWireType(wt, WIRE_LEN, 'Point.tags');
        if (sharedSeries) ({ dimensions, tags, sharedSeries } = unshare(dimensions as string[], tags as Tags));
        readMapEntry(r, (tags ??= emptyRecord<string>()), 'string', 'Point.tags');
        break;
      case 8:
        expectWireType(wt, WIRE_LEN, 'Point.fieldsDouble');
        readMapEntry(r, fields, 'double', 'Point.fieldsDouble');
        break;
      case 9:
        expectWireType(wt, WIRE_LEN, 'Point.fieldsInt');
        readMapEntry(r, fields, 'int', 'Point.fieldsInt');
        break;
      case 10:
        expectWireType(wt, WIRE_LEN, 'Point.fieldsString');
        readMapEntry(r, fields, 'string', 'Point.fieldsString');
        break;
      case 11:
        expectWireType(wt, WIRE_VARINT, 'Point.byName');
        byName = r.bool();
        break;
      case 12:
        expectWireType(wt, WIRE_LEN, 'Point.fieldsBool');
        readMapEntry(r, fields, 'bool', 'Point.fieldsBool');
        break;
      default:
        r.skip(wt);
    }
  }
  if (r.pos !== end) throw new WireFormatError('Point overruns its length');
  dimensions ??= [];
  tags ??= emptyRecord<string>();
  if (seriesStart >= 0 && inOrder)
    seriesCache.remember(r.buf, seriesStart, seriesStop, { name, database, retentionPolicy, group, dimensions, tags });
  r.end = outerEnd;
  r.pointHeader.start = inOrder ? start : -1;
  r.pointHeader.end = inOrder ? (fieldsAt < 0 ? end : fieldsAt) : -1;
  return { time, name, database, retentionPolicy, group, dimensions, tags, fields, byName };
}

/** BeginBatch and EndBatch carry the same fields but one: `size` (4) or `tmax` (3), with tags at the other number. */
interface BatchFields {
  name: string;
  group: string;
  tags: Tags;
  int64: bigint;
  byName: boolean;
}

function readBatchFields(
  r: WireReader,
  message: 'BeginBatch' | 'EndBatch',
  tagsField: number,
  int64Field: number,
  int64Name: string,
): BatchFields {
  const end = r.delimitedEnd();
  const outerEnd = r.end;
  r.end = end;
  const out: BatchFields = { name: '', group: '', tags: emptyRecord<string>(), int64: 0n, byName: false };
  while (r.pos < end) {
    const tag = r.uint32();
    const wt = tag & 7;
    const field = tag >>> 3;
    if (field === 1) {
      expectWireType(wt, WIRE_LEN, `${message}.name`);
      out.name = r.string();
    } else if (field === 2) {
      expectWireType(wt, WIRE_LEN, `${message}.group`);
      out.group = r.string();
    } else if (field === tagsField) {
      expectWireType(wt, WIRE_LEN, `${message}.tags`);
      readMapEntry(r, out.tags, 'string', `${message}.tags`);
    } else if (field === int64Field) {
      expectWireType(wt, WIRE_VARINT, `${message}.${int64Name}`);
      out.int64 = r.int64();
    } else if (field === 5) {
      expectWireType(wt, WIRE_VARINT, `${message}.byName`);
      out.byName = r.bool();
    } else {
      r.skip(wt);
    }
  }
  r.end = outerEnd;
  return out;
}

export function readBeginBatch(r: WireReader): BeginBatch {
  const f = readBatchFields(r, 'BeginBatch', 3, 4, 'size');
  return { name: f.name, group: f.group, tags: f.tags, size: f.int64, byName: f.byName };
}

export function readEndBatch(r: WireReader): EndBatch {
  const f = readBatchFields(r, 'EndBatch', 4, 3, 'tmax');
  return { name: f.name, group: f.group, tags: f.tags, tmax: f.int64, byName: f.byName };
}

// ---- encoding -------------------------------------------------------------------------------
// proto3 leaves default scalars off the wire; map entries always carry key and value.

function writeString(w: WireWriter, key: number, value: string): void {
  if (value.length === 0) return;
  w.tag(key);
  w.string(value);
}

// Records are iterated two ways, each the faster for its kind (codec micro-bench, points per CPU
// second): a fast-mode record (the decoder's emptyRecord()) with `for…in`, served from V8's enum
// cache with no allocation (+9% over Object.keys); an Object.create(null) record, which is in
// dictionary mode, with Object.keys (+15% over `for…in`, which also walks the prototype chain).
// Both yield the same keys in the same order: the record's own enumerable keys (a record's
// prototype is either null or the key-less root).

function writeStringEntry(w: WireWriter, key: number, k: string, v: string): void {
  w.tag(key);
  const mark = w.beginLength();
  w.tag(T1_LEN);
  w.string(k);
  w.tag(T2_LEN);
  w.string(v);
  w.endLength(mark);
}

function writeStringMap(w: WireWriter, key: number, map: Tags): void {
  if (Object.getPrototypeOf(map) === null) {
    const keys = Object.keys(map);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      writeStringEntry(w, key, k, map[k] as string);
    }
  } else {
    for (const k in map) writeStringEntry(w, key, k, map[k] as string);
  }
}

const KEY_FIELDS_DOUBLE = (8 << 3) | WIRE_LEN;
const KEY_FIELDS_INT = (9 << 3) | WIRE_LEN;
const KEY_FIELDS_STRING = (10 << 3) | WIRE_LEN;
const KEY_FIELDS_BOOL = (12 << 3) | WIRE_LEN;

/**
 * Writes a Point's fields in insertion order, each into the map of its type. Entries of
 * different maps may interleave on the wire; every protobuf decoder accepts that.
 */
function writeFields(w: WireWriter, fields: Fields): void {
  if (Object.getPrototypeOf(fields) === null) {
    const keys = Object.keys(fields);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      writeField(w, k, fields[k]);
    }
  } else {
    for (const k in fields) writeField(w, k, fields[k]);
  }
}

function writeField(w: WireWriter, k: string, v: FieldValue | undefined): void {
  switch (typeof v) {
    case 'number':
      w.tag(KEY_FIELDS_DOUBLE);
      break;
    case 'bigint':
      w.tag(KEY_FIELDS_INT);
      break;
    case 'string':
      w.tag(KEY_FIELDS_STRING);
      break;
    case 'boolean':
      w.tag(KEY_FIELDS_BOOL);
      break;
    default:
      throw new TypeError(`field ${JSON.stringify(k)} has unsupported value type ${typeof v}`);
  }
  const mark = w.beginLength();
  w.tag(T1_LEN);
  w.string(k);
  switch (typeof v) {
    case 'number':
      w.tag(T2_FIXED64);
      w.double(v);
      break;
    case 'bigint':
      w.tag(T2_VARINT);
      w.int64(v);
      break;
    case 'string':
      w.tag(T2_LEN);
      w.string(v);
      break;
    default:
      w.tag(T2_VARINT);
      w.bool(v);
  }
  w.endLength(mark);
}

/**
 * Writes a Point's payload from `header`, the bytes of another Point's entries before its fields
 * (see {@link readPoint}), that encode exactly this point's time, name, database, retention
 * policy, group, dimensions and tags; then this point's fields and byName.
 */
export function writePointBodyAfterHeader(w: WireWriter, header: Uint8Array, p: Point): void {
  w.raw(header);
  writeFields(w, p.fields);
  if (p.byName) {
    w.tag((11 << 3) | WIRE_VARINT);
    w.bool(true);
  }
}

/** Writes a Point's payload (no tag, no length). */
export function writePointBody(w: WireWriter, p: Point): void {
  if (p.time !== 0n) {
    w.tag(T1_VARINT);
    w.int64(p.time);
  }
  writeString(w, (2 << 3) | WIRE_LEN, p.name);
  writeString(w, (3 << 3) | WIRE_LEN, p.database);
  writeString(w, (4 << 3) | WIRE_LEN, p.retentionPolicy);
  writeString(w, (5 << 3) | WIRE_LEN, p.group);
  for (const d of p.dimensions) {
    // Repeated strings keep empty elements: their position is data.
    w.tag((6 << 3) | WIRE_LEN);
    w.string(d);
  }
  writeStringMap(w, (7 << 3) | WIRE_LEN, p.tags);
  writeFields(w, p.fields);
  if (p.byName) {
    w.tag((11 << 3) | WIRE_VARINT);
    w.bool(true);
  }
}

export function writeBeginBatchBody(w: WireWriter, b: BeginBatch): void {
  writeString(w, (1 << 3) | WIRE_LEN, b.name);
  writeString(w, (2 << 3) | WIRE_LEN, b.group);
  writeStringMap(w, (3 << 3) | WIRE_LEN, b.tags);
  if (b.size !== 0n) {
    w.tag((4 << 3) | WIRE_VARINT);
    w.int64(b.size);
  }
  if (b.byName) {
    w.tag((5 << 3) | WIRE_VARINT);
    w.bool(true);
  }
}

export function writeEndBatchBody(w: WireWriter, e: EndBatch): void {
  writeString(w, (1 << 3) | WIRE_LEN, e.name);
  writeString(w, (2 << 3) | WIRE_LEN, e.group);
  if (e.tmax !== 0n) {
    w.tag((3 << 3) | WIRE_VARINT);
    w.int64(e.tmax);
  }
  writeStringMap(w, (4 << 3) | WIRE_LEN, e.tags);
  if (e.byName) {
    w.tag((5 << 3) | WIRE_VARINT);
    w.bool(true);
  }
}
