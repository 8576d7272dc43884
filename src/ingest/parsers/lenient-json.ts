/**
 * A JSON reader that keeps what it could read from a cut-off document: containers left
 * open at the end are closed, a value cut in the middle is dropped with its key.
 * Never throws; returns `undefined` when not even the first value started.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const INCOMPLETE = Symbol('incomplete');
type Read = JsonValue | typeof INCOMPLETE;

class Reader {
  private pos = 0;
  constructor(private readonly src: string) {}

  private skipSpace(): void {
    while (this.pos < this.src.length && /\s/.test(this.src.charAt(this.pos))) this.pos += 1;
  }

  value(depth: number): Read {
    this.skipSpace();
    if (depth > 64) return INCOMPLETE;
    const c = this.src.charAt(this.pos);
    if (c === '{') return this.object(depth);
    if (c === '[') return this.array(depth);
    if (c === '"') return this.string();
    const lit = /^(?:true|false|null|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/.exec(this.src.slice(this.pos, this.pos + 64));
    if (!lit) return INCOMPLETE;
    const token = lit[0];
    this.pos += token.length;
    // A number at the very end may have lost digits.
    if (this.pos >= this.src.length && /\d$/.test(token)) return INCOMPLETE;
    if (token === 'true') return true;
    if (token === 'false') return false;
    if (token === 'null') return null;
    return Number(token);
  }

  private string(): Read {
    let out = '';
    this.pos += 1;
    while (this.pos < this.src.length) {
      const c = this.src.charAt(this.pos);
      if (c === '"') {
        this.pos += 1;
        return out;
      }
      if (c === '\\') {
        const e = this.src.charAt(this.pos + 1);
        if (e === 'u') {
          const hex = this.src.slice(this.pos + 2, this.pos + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) return INCOMPLETE;
          out += String.fromCharCode(Number.parseInt(hex, 16));
          this.pos += 6;
        } else {
          const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };
          out += map[e] ?? e;
          this.pos += 2;
        }
      } else {
        out += c;
        this.pos += 1;
      }
    }
    return INCOMPLETE;
  }

  private array(depth: number): Read {
    const out: JsonValue[] = [];
    this.pos += 1;
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.src.length) return out;
      if (this.src.charAt(this.pos) === ']') {
        this.pos += 1;
        return out;
      }
      const v = this.value(depth + 1);
      if (v === INCOMPLETE) return out;
      out.push(v);
      this.skipSpace();
      if (this.src.charAt(this.pos) === ',') this.pos += 1;
      else if (this.src.charAt(this.pos) !== ']') return out;
    }
  }

  private object(depth: number): Read {
    const out: { [key: string]: JsonValue } = {};
    this.pos += 1;
    for (;;) {
      this.skipSpace();
      if (this.pos >= this.src.length) return out;
      const c = this.src.charAt(this.pos);
      if (c === '}') {
        this.pos += 1;
        return out;
      }
      if (c !== '"') return out;
      const key = this.string();
      if (key === INCOMPLETE || typeof key !== 'string') return out;
      this.skipSpace();
      if (this.src.charAt(this.pos) !== ':') return out;
      this.pos += 1;
      const v = this.value(depth + 1);
      if (v === INCOMPLETE) return out;
      out[key] = v;
      this.skipSpace();
      if (this.src.charAt(this.pos) === ',') this.pos += 1;
      else if (this.src.charAt(this.pos) !== '}') return out;
    }
  }
}

/** Reads the first JSON value starting at or after the first `{` in `text`. */
export function readLenientJson(text: string): JsonValue | undefined {
  const start = text.indexOf('{');
  if (start < 0) return undefined;
  const v = new Reader(text.slice(start)).value(0);
  return v === INCOMPLETE ? undefined : v;
}
