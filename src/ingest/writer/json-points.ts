/**
 * Points as JSON for `kudf publish`:
 *
 * ```json
 * {"measurement":"dsl","tags":{"line":"1"},"fields":{"snr":6.5,"crc":{"int":"42"},"up":true,"mode":"VDSL2"},"time":"1700000000000000000"}
 * ```
 *
 * - A JSON number is a float field. JSON cannot tell `1` from `1.0`, so an integer field is
 *   marked: `{"int": 42}` or `{"int": "9223372036854775807"}` (a string for values beyond
 *   2^53, which a JSON number cannot carry exactly).
 * - Strings and booleans are themselves. Tags are strings.
 * - `time` (optional; the writer stamps points without one): nanoseconds as a string of
 *   digits, nanoseconds as a JSON number when it is a safe integer, or an ISO 8601 date.
 */
import type { LinePoint } from '../../line-protocol/index.js';

export class JsonPointError extends Error {
  override readonly name = 'JsonPointError';
  readonly code = 'KUDF_JSON_POINT_INVALID';
}

type FieldValue = LinePoint['fields'][string];

export function pointFromJson(v: unknown): LinePoint {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new JsonPointError('a point must be a JSON object');
  const o = v as Record<string, unknown>;
  if (typeof o['measurement'] !== 'string' || o['measurement'] === '')
    throw new JsonPointError('"measurement" must be a non-empty string');
  const tags: Record<string, string> = {};
  if (o['tags'] !== undefined) {
    if (typeof o['tags'] !== 'object' || o['tags'] === null || Array.isArray(o['tags']))
      throw new JsonPointError('"tags" must be an object');
    for (const [k, t] of Object.entries(o['tags'] as Record<string, unknown>)) {
      if (typeof t !== 'string') throw new JsonPointError(`tag "${k}" must be a string`);
      tags[k] = t;
    }
  }
  if (typeof o['fields'] !== 'object' || o['fields'] === null || Array.isArray(o['fields']))
    throw new JsonPointError('"fields" must be an object');
  const fields: Record<string, FieldValue> = {};
  for (const [k, f] of Object.entries(o['fields'] as Record<string, unknown>)) fields[k] = fieldValue(k, f);
  const point: LinePoint = { measurement: o['measurement'], tags, fields };
  if (o['time'] !== undefined && o['time'] !== null) point.time = timeValue(o['time']);
  return point;
}

function fieldValue(key: string, f: unknown): FieldValue {
  if (typeof f === 'number' || typeof f === 'string' || typeof f === 'boolean') return f;
  if (typeof f === 'object' && f !== null && !Array.isArray(f) && Object.keys(f).length === 1 && 'int' in f) {
    const i = f.int;
    if (typeof i === 'number' && Number.isSafeInteger(i)) return BigInt(i);
    if (typeof i === 'string' && /^-?\d+$/.test(i)) return BigInt(i);
    throw new JsonPointError(`field "${key}": {"int": ...} needs an integer (a string beyond 2^53)`);
  }
  throw new JsonPointError(`field "${key}" must be a number, string, boolean or {"int": ...}`);
}

function timeValue(t: unknown): bigint {
  if (typeof t === 'number') {
    if (!Number.isSafeInteger(t))
      throw new JsonPointError(
        '"time" as a number must be a safe integer of nanoseconds; give larger values as a string',
      );
    return BigInt(t);
  }
  if (typeof t === 'string') {
    if (/^-?\d+$/.test(t)) return BigInt(t);
    const ms = Date.parse(t);
    if (!Number.isNaN(ms) && /^\d{4}-\d{2}-\d{2}/.test(t)) return BigInt(ms) * 1_000_000n;
  }
  throw new JsonPointError('"time" must be nanoseconds (digits) or an ISO 8601 date');
}
