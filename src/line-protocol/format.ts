/**
 * InfluxDB line protocol writer, the inverse of ./parse.ts: `parseLine(formatLine(p))`
 * equals `p` for every formattable point.
 *
 * Choices: tags are sorted by key (InfluxDB's canonical order; JS code-unit order);
 * tags with an empty value are left out (InfluxDB cannot store them); fields keep their
 * insertion order. Numbers print in the shortest form that re-parses to the same double
 * (an integral `1` prints as `1`, a float in line protocol); bigints print with `i`, or
 * with `u` when above the int64 range (up to uint64). The time is appended when present.
 */
import type { LinePoint } from './index.js';
import { LineProtocolError } from './errors.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

const MEASUREMENT_SPECIALS = /[, \\]/;
const KEY_SPECIALS = /[,= \\]/;

function unformattable(message: string): never {
  throw new LineProtocolError('KUDF_LP_UNFORMATTABLE', message);
}

/**
 * Escapes the given special characters with a backslash. A backslash itself is doubled only
 * where it would otherwise be read as an escape: before a special, a backslash, or the end.
 */
function escapeName(value: string, specials: string, what: string): string {
  if (value.length === 0) unformattable(`empty ${what}`);
  if (value.includes('\n')) unformattable(`${what} ${JSON.stringify(value)} contains a newline`);
  if (!(specials.length === 2 ? MEASUREMENT_SPECIALS : KEY_SPECIALS).test(value)) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charAt(i);
    if (specials.includes(c)) {
      out += '\\' + c;
    } else if (c === '\\') {
      const next = value.charAt(i + 1);
      out += next === '' || next === '\\' || specials.includes(next) ? '\\\\' : '\\';
    } else {
      out += c;
    }
  }
  return out;
}

function formatFieldValue(key: string, v: number | bigint | string | boolean): string {
  switch (typeof v) {
    case 'number':
      if (!Number.isFinite(v)) unformattable(`field ${JSON.stringify(key)} is ${v}, which line protocol cannot carry`);
      return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint':
      if (v >= INT64_MIN && v <= INT64_MAX) return `${v}i`;
      if (v > INT64_MAX && v <= UINT64_MAX) return `${v}u`;
      return unformattable(`field ${JSON.stringify(key)} = ${v} is outside the int64 and uint64 ranges`);
    case 'string':
      return `"${v.replace(/[\\"]/g, '\\$&')}"`;
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return unformattable(`field ${JSON.stringify(key)} has unsupported type ${typeof v}`);
  }
}

/**
 * One point as one line, without a trailing newline. Throws `LineProtocolError`
 * `KUDF_LP_UNFORMATTABLE` for: no fields, an empty measurement or key, a newline outside a
 * string value, a measurement starting with `#`, a tab or a CR, a non-finite number, an out-of-range
 * integer or time.
 */
export function formatLine(p: LinePoint): string {
  if (/^[#\t\r]/.test(p.measurement)) {
    // A parser would take the line for a comment or skip the character as indentation.
    unformattable(`measurement ${JSON.stringify(p.measurement)} cannot start a line`);
  }
  let line = escapeName(p.measurement, ', ', 'measurement');
  for (const key of Object.keys(p.tags).sort()) {
    const value = p.tags[key] as string;
    if (value === '') continue;
    line += `,${escapeName(key, ',= ', 'tag key')}=${escapeName(value, ',= ', `value of tag ${JSON.stringify(key)}`)}`;
  }
  let sep = ' ';
  for (const key of Object.keys(p.fields)) {
    line += `${sep}${escapeName(key, ',= ', 'field key')}=${formatFieldValue(key, p.fields[key] as never)}`;
    sep = ',';
  }
  if (sep === ' ') unformattable(`point of measurement ${JSON.stringify(p.measurement)} has no fields`);
  if (p.time !== undefined) {
    if (p.time < INT64_MIN || p.time > INT64_MAX) unformattable(`time ${p.time} is outside the int64 range`);
    line += ` ${p.time}`;
  }
  return line;
}

/** Points joined by `\n` (no trailing newline); errors as for {@link formatLine}. */
export function formatLines(points: readonly LinePoint[]): string {
  return points.map(formatLine).join('\n');
}
