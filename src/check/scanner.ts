/**
 * A TICKscript tokenizer, just precise enough to find UDF calls and classify literal option values:
 * it knows comments, both string forms, double-quoted references, regexes, numbers and durations.
 * Everything else comes out as identifiers and one-character (or operator) punctuation.
 */

export type TokenKind =
  | 'ident'
  | 'int'
  | 'double'
  | 'duration'
  | 'string'
  | 'reference'
  | 'regex'
  | 'punct'
  /** A number glued to letters that are not a duration unit, e.g. `10ns`. */
  | 'bad-number';

export interface Token {
  kind: TokenKind;
  /** The source text of the token (for a string: the text between the quotes, escapes resolved). */
  text: string;
  line: number;
}

export class ScanError extends Error {
  override readonly name = 'ScanError';
  readonly code = 'TICK_SCAN';
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** Duration units in the order they must be tried (`ms` before `m`, `µs` before `µ`). */
const DURATION_UNITS = ['ms', 'us', 'µs', 'μs', 'u', 'µ', 'μ', 's', 'm', 'h', 'd', 'w'] as const;

const OPERATORS = ['==', '!=', '<=', '>=', '=~', '!~', '&&', '||'];

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isIdentStart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z_]/.test(c);
const isIdentPart = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);

/** Tokens after which a `/` opens a regex rather than dividing. */
const REGEX_BEFORE = new Set(['=~', '!~', '(', ',', '[']);

export function scan(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const at = (k: number): string | undefined => source[k];

  while (i < source.length) {
    const c = source[i] as string;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '/' && at(i + 1) === '/') {
      while (i < source.length && source[i] !== '\n') i++;
      continue;
    }
    const startLine = line;
    if (c === "'") {
      if (source.startsWith("'''", i)) {
        const close = source.indexOf("'''", i + 3);
        if (close < 0) throw new ScanError(startLine, 'unterminated triple-quoted string');
        const text = source.slice(i + 3, close);
        line += text.split('\n').length - 1;
        tokens.push({ kind: 'string', text, line: startLine });
        i = close + 3;
        continue;
      }
      const { text, end, lines } = quoted(source, i, "'", startLine);
      tokens.push({ kind: 'string', text, line: startLine });
      line += lines;
      i = end;
      continue;
    }
    if (c === '"') {
      const { text, end, lines } = quoted(source, i, '"', startLine);
      tokens.push({ kind: 'reference', text, line: startLine });
      line += lines;
      i = end;
      continue;
    }
    if (c === '/' && REGEX_BEFORE.has(tokens.at(-1)?.text ?? '(') && tokens.at(-1)?.kind === 'punct') {
      let j = i + 1;
      while (j < source.length && source[j] !== '/' && source[j] !== '\n') j += source[j] === '\\' ? 2 : 1;
      if (source[j] !== '/') throw new ScanError(startLine, 'unterminated regex');
      tokens.push({ kind: 'regex', text: source.slice(i, j + 1), line: startLine });
      i = j + 1;
      continue;
    }
    if (isDigit(c)) {
      let j = i;
      while (isDigit(at(j))) j++;
      if (at(j) === '.' && isDigit(at(j + 1))) {
        j++;
        while (isDigit(at(j))) j++;
        tokens.push({ kind: 'double', text: source.slice(i, j), line });
        i = j;
        continue;
      }
      const unit = DURATION_UNITS.find((u) => source.startsWith(u, j) && !isIdentPart(at(j + u.length)));
      if (unit !== undefined) {
        tokens.push({ kind: 'duration', text: source.slice(i, j + unit.length), line });
        i = j + unit.length;
        continue;
      }
      if (isIdentPart(at(j)) || at(j) === 'µ' || at(j) === 'μ') {
        let k = j;
        while (isIdentPart(at(k)) || at(k) === 'µ' || at(k) === 'μ') k++;
        tokens.push({ kind: 'bad-number', text: source.slice(i, k), line });
        i = k;
        continue;
      }
      tokens.push({ kind: 'int', text: source.slice(i, j), line });
      i = j;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i;
      while (isIdentPart(at(j))) j++;
      tokens.push({ kind: 'ident', text: source.slice(i, j), line });
      i = j;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, i));
    if (op !== undefined) {
      tokens.push({ kind: 'punct', text: op, line });
      i += op.length;
      continue;
    }
    tokens.push({ kind: 'punct', text: c, line });
    i++;
  }
  return tokens;
}

/** A single-line-or-more quoted run with backslash escapes; returns the unescaped text. */
function quoted(source: string, start: number, quote: string, line: number): { text: string; end: number; lines: number } {
  let text = '';
  let lines = 0;
  let j = start + 1;
  while (j < source.length) {
    const ch = source[j] as string;
    if (ch === '\\' && j + 1 < source.length) {
      const next = source[j + 1] as string;
      // TICKscript only unescapes the quote itself; other backslashes stay as written.
      text += next === quote ? quote : ch + next;
      if (next === '\n') lines++;
      j += 2;
      continue;
    }
    if (ch === quote) return { text, end: j + 1, lines };
    if (ch === '\n') lines++;
    text += ch;
    j++;
  }
  throw new ScanError(line, `unterminated ${quote === "'" ? 'string' : 'reference'}`);
}
