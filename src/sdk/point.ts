import { emptyRecord, type FieldValue, type Fields, type Point } from '../protocol/index.js';

/**
 * A field's value, or `undefined` when the point does not carry it. Only own keys count, so a
 * field named like an `Object.prototype` member is never read from the prototype.
 */
export function fieldOf(point: Point, name: string): FieldValue | undefined {
  return Object.hasOwn(point.fields, name) ? point.fields[name] : undefined;
}

/**
 * A numeric field as a number: a double as is, an int (bigint) converted (exact up to ±2^53).
 * `undefined` when the field is missing or is a string or bool.
 */
export function numericField(point: Point, name: string): number | undefined {
  const value = fieldOf(point, name);
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

function copyFields(...sources: Fields[]): Fields {
  // The decoder's record shape: no inherited keys, and V8 keeps it a fast object.
  const out = emptyRecord<FieldValue>();
  for (const source of sources) {
    for (const key of Object.keys(source)) out[key] = source[key] as FieldValue;
  }
  return out;
}

/**
 * A new point with the same time, name, database, retention policy, group, dimensions, tags
 * and byName as `point`, carrying only `fields` (copied into a null-prototype record).
 */
export function derivePoint(point: Point, fields: Fields): Point {
  return carrying(point, copyFields(fields));
}

/**
 * `derivePoint(point, { [name]: value })`, for the common case of a function that emits one
 * computed field, without building and then copying a literal for it on every point.
 */
export function deriveField(point: Point, name: string, value: FieldValue): Point {
  const fields = emptyRecord<FieldValue>();
  fields[name] = value;
  return carrying(point, fields);
}

/** `point`'s series and time with `fields` as they are (the caller's own record, not copied). */
function carrying(point: Point, fields: Fields): Point {
  return {
    time: point.time,
    name: point.name,
    database: point.database,
    retentionPolicy: point.retentionPolicy,
    group: point.group,
    dimensions: point.dimensions,
    tags: point.tags,
    fields,
    byName: point.byName,
  };
}

/** A new point equal to `point` with `extra` fields added (replacing fields of the same name). */
export function withFields(point: Point, extra: Fields): Point {
  return { ...point, fields: copyFields(point.fields, extra) };
}

/**
 * A duration in nanoseconds expressed in `unit` nanoseconds, as a double. Divides in bigint first
 * so that long spans keep their precision instead of going through a lossy Number(ns).
 */
export function durationIn(ns: bigint, unit: bigint): number {
  const whole = ns / unit;
  const rest = ns % unit;
  return Number(whole) + Number(rest) / Number(unit);
}
