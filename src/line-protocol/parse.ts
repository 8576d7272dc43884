/**
 * InfluxDB line protocol parser:
 *
 *   measurement[,tagKey=tagValue...] fieldKey=fieldValue[,...] [timestamp]
 *
 * Escapes: in the measurement `\,` and `\ `; in tag keys, tag values and field keys also
 * `\=`; in string field values `\"` and `\\`. A backslash before any other character is a
 * literal backslash, and `\\` is one backslash everywhere (so a value may end in one).
 * Field values: `1.5`/`1e3`/`-2` -> number, `3i` -> bigint, `3u` -> bigint, `"s"` -> string,
 * `t`/`T`/`true`/`True`/`TRUE` (and the `f` forms) -> boolean. The timestamp is int64 ns.
 */
import type { LinePoint } from './index.js';
import { LineProtocolError } from './errors.js';

export { LineProtocolError } from './errors.js';

const NEWLINE = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const HASH = 0x23;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

const FLOAT = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?$/;
const INTEGER = /^[-+]?\d+i$/;
const UNSIGNED = /^\+?\d+u$/;
const TIMESTAMP = /^-?\d+$/;
const BOOLEANS: Readonly<Record<string, boolean>> = {
  t: true,
  T: true,
  true: true,
  True: true,
  TRUE: true,
  f: false,
  F: false,
  false: false,
  False: false,
  FALSE: false,
};

/** Where a name ends, by context. */
const enum Stop {
  /** measurement: `,` or space */
  Measurement,
  /** tag key and field key: `=` (a `,` or space before it is an error) */
  Key,
  /** tag value: `,` or space (`=` is an error) */
  TagValue,
}

class LineParser {
  pos: number;
  line: number;

  constructor(
    private readonly text: string,
    start: number,
    line: number,
  ) {
    this.pos = start;
    this.line = line;
  }

  fail(message: string): never {
    throw new LineProtocolError('KUDF_LP_INVALID', message, this.line);
  }

  private atLineEnd(): boolean {
    return this.pos >= this.text.length || this.text.charCodeAt(this.pos) === NEWLINE;
  }

  /** Parses one point from `pos`; leaves `pos` on the terminating newline or at the end. */
  point(): LinePoint {
    const measurement = this.name(Stop.Measurement, 'measurement');
    const tags = Object.create(null) as Record<string, string>;
    while (this.text.charCodeAt(this.pos) === COMMA) {
      this.pos++;
      const key = this.name(Stop.Key, 'tag key');
      this.pos++; // '='
      tags[key] = this.name(Stop.TagValue, `value of tag "${key}"`);
    }
    // After the tags comes a space or the end of the line.
    this.skipSpaces();
    if (this.atLineEnd()) this.fail(`no fields after measurement "${measurement}"`);
    const fields = Object.create(null) as LinePoint['fields'];
    for (;;) {
      const key = this.name(Stop.Key, 'field key');
      this.pos++; // '='
      fields[key] = this.fieldValue(key);
      if (this.text.charCodeAt(this.pos) !== COMMA) break;
      this.pos++;
    }
    const point: LinePoint = { measurement, tags, fields };
    if (this.skipSpaces() && !this.atLineEnd() && !this.atTrailingBlanks()) {
      const start = this.pos;
      while (!this.atLineEnd() && !isBlank(this.text.charCodeAt(this.pos))) this.pos++;
      point.time = this.timestamp(this.text.slice(start, this.pos));
    }
    while (this.pos < this.text.length && isBlank(this.text.charCodeAt(this.pos))) this.pos++;
    if (!this.atLineEnd()) this.fail(`unexpected text after the ${point.time === undefined ? 'fields' : 'timestamp'}`);
    return point;
  }

  /**
   * Skips the spaces that separate sections; true if any were skipped. Tabs and CRs are
   * not separators (they may start a key) and are only tolerated at the end of a line.
   */
  private skipSpaces(): boolean {
    const start = this.pos;
    while (this.text.charCodeAt(this.pos) === SPACE) this.pos++;
    return this.pos > start;
  }

  /** True when only blanks remain before the end of the line. */
  private atTrailingBlanks(): boolean {
    let p = this.pos;
    while (p < this.text.length && isBlank(this.text.charCodeAt(p))) p++;
    return p >= this.text.length || this.text.charCodeAt(p) === NEWLINE;
  }

  /** Reads an escaped name up to its terminator (not consumed). */
  private name(stop: Stop, what: string): string {
    const text = this.text;
    let out = '';
    let runStart = this.pos;
    for (;;) {
      if (this.pos >= text.length) break;
      const c = text.charCodeAt(this.pos);
      if (c === NEWLINE) break;
      if (c === BACKSLASH) {
        const next = text.charCodeAt(this.pos + 1);
        if (next === BACKSLASH || next === COMMA || next === SPACE || (next === EQUALS && stop !== Stop.Measurement)) {
          out += text.slice(runStart, this.pos) + String.fromCharCode(next);
          this.pos += 2;
          runStart = this.pos;
          continue;
        }
        this.pos++;
        continue;
      }
      if (c === COMMA || c === SPACE) {
        if (stop === Stop.Key) this.fail(`${what} "${out + text.slice(runStart, this.pos)}" has no "="`);
        break;
      }
      if (c === EQUALS) {
        if (stop === Stop.Key) break;
        if (stop === Stop.TagValue) this.fail(`unescaped "=" in ${what}`);
      }
      this.pos++;
    }
    out += text.slice(runStart, this.pos);
    if (stop === Stop.Key && text.charCodeAt(this.pos) !== EQUALS) this.fail(`${what} "${out}" has no "="`);
    if (out.length === 0) this.fail(`empty ${what}`);
    return out;
  }

  private fieldValue(key: string): number | bigint | string | boolean {
    const text = this.text;
    if (text.charCodeAt(this.pos) === QUOTE) return this.stringValue(key);
    const start = this.pos;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c === COMMA || c === NEWLINE || isBlank(c)) break;
      this.pos++;
    }
    const token = text.slice(start, this.pos);
    if (token.length === 0) this.fail(`field "${key}" has no value`);
    const last = token.charCodeAt(token.length - 1);
    if (last === 0x69 /* i */ && INTEGER.test(token)) {
      const v = BigInt(token.slice(0, -1));
      if (v < INT64_MIN || v > INT64_MAX) this.fail(`integer ${token} of field "${key}" is outside the int64 range`);
      return v;
    }
    if (last === 0x75 /* u */ && UNSIGNED.test(token)) {
      const v = BigInt(token.slice(0, -1));
      if (v > UINT64_MAX) this.fail(`unsigned ${token} of field "${key}" is outside the uint64 range`);
      return v;
    }
    const bool = BOOLEANS[token];
    if (bool !== undefined) return bool;
    if (FLOAT.test(token)) {
      const v = Number(token);
      if (!Number.isFinite(v)) this.fail(`float ${token} of field "${key}" is out of range`);
      return v;
    }
    return this.fail(`field "${key}" has an invalid value ${JSON.stringify(token)}`);
  }

  /** A quoted string; it may span lines, which advances the line count. */
  private stringValue(key: string): string {
    const text = this.text;
    const startLine = this.line;
    this.pos++; // opening quote
    let out = '';
    let runStart = this.pos;
    for (;;) {
      if (this.pos >= text.length) {
        this.line = startLine;
        this.fail(`unterminated string value of field "${key}"`);
      }
      const c = text.charCodeAt(this.pos);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        const next = text.charCodeAt(this.pos + 1);
        if (next === QUOTE || next === BACKSLASH) {
          out += text.slice(runStart, this.pos) + String.fromCharCode(next);
          this.pos += 2;
          runStart = this.pos;
          continue;
        }
      } else if (c === NEWLINE) {
        this.line++;
      }
      this.pos++;
    }
    out += text.slice(runStart, this.pos);
    this.pos++; // closing quote
    return out;
  }

  private timestamp(token: string): bigint {
    if (!TIMESTAMP.test(token)) this.fail(`invalid timestamp ${JSON.stringify(token)}`);
    const v = BigInt(token);
    if (v < INT64_MIN || v > INT64_MAX) this.fail(`timestamp ${token} is outside the int64 range`);
    return v;
  }
}

function isBlank(c: number): boolean {
  return c === SPACE || c === TAB || c === CR;
}

/**
 * Parses a whole document: one point per line; blank lines and lines starting with `#`
 * (after optional whitespace) are skipped. A quoted string value may contain newlines.
 * Throws `LineProtocolError` (`KUDF_LP_INVALID`, with `line`, 1-based) on the first bad line.
 */
export function parseLineProtocol(text: string): LinePoint[] {
  const points: LinePoint[] = [];
  let pos = 0;
  let line = 1;
  while (pos < text.length) {
    while (pos < text.length && isBlank(text.charCodeAt(pos))) pos++;
    if (pos >= text.length) break;
    const c = text.charCodeAt(pos);
    if (c === NEWLINE) {
      pos++;
      line++;
      continue;
    }
    if (c === HASH) {
      const nl = text.indexOf('\n', pos);
      if (nl < 0) break;
      pos = nl + 1;
      line++;
      continue;
    }
    const parser = new LineParser(text, pos, line);
    points.push(parser.point());
    pos = parser.pos + 1;
    line = parser.line + 1;
  }
  return points;
}

/**
 * Parses exactly one point (leading and trailing whitespace allowed). Throws
 * `LineProtocolError` `KUDF_LP_INVALID` for bad input, a blank line, a comment, or more than one line.
 */
export function parseLine(line: string): LinePoint {
  let pos = 0;
  while (pos < line.length && isBlank(line.charCodeAt(pos))) pos++;
  if (pos >= line.length || line.charCodeAt(pos) === NEWLINE) {
    throw new LineProtocolError('KUDF_LP_INVALID', 'empty line', 1);
  }
  if (line.charCodeAt(pos) === HASH) throw new LineProtocolError('KUDF_LP_INVALID', 'a comment is not a point', 1);
  const parser = new LineParser(line, pos, 1);
  const point = parser.point();
  if (parser.pos < line.length && line.slice(parser.pos).trim() !== '') {
    throw new LineProtocolError('KUDF_LP_INVALID', 'more than one line', parser.line + 1);
  }
  return point;
}
