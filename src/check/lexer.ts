/**
 * TICKscript tokens as Kapacitor's own lexer cuts them, so that a script this lexer accepts is one
 * Kapacitor's lexer accepts too. Two habits of that lexer matter for what is a syntax error:
 * - whether `-`, `*`, `/`, `=` and the comparison operators are operators depends on what came
 *   before: after a value (a name, a number, a string, `)`) they are binary operators; elsewhere
 *   `-` and `!` are unary, `*` is a star and `/` starts a regex (`=`, `<`, `>`, `+`, `%` are then
 *   not tokens at all);
 * - a number directly followed by a duration unit letter is a duration (`10s`, `5m`, `2ms`);
 *   any other letters after it start a new name (`10ns` is `10` then `ns`).
 */

export type LexKind =
  | 'eof'
  | 'var'
  | 'dbrp'
  | 'lambda'
  | 'ident'
  | 'reference'
  | 'number'
  | 'duration'
  | 'string'
  | 'regex'
  | 'true'
  | 'false'
  | 'star'
  | '='
  | '.'
  | '|'
  | '@'
  | '('
  | ')'
  | '['
  | ']'
  | ','
  | 'operator';

export interface LexToken {
  kind: LexKind;
  /** The source text; for strings and references the text between the quotes as written. */
  text: string;
  /** Offset in the source. */
  pos: number;
}

/** Raised for text Kapacitor's lexer or parser refuses; `line`/`char` are 1-based, as Kapacitor counts. */
export class TickSyntaxError extends Error {
  override readonly name = 'TickSyntaxError';
  readonly code = 'KUDF_TICK_SYNTAX';
  constructor(
    readonly line: number,
    readonly char: number,
    message: string,
  ) {
    super(message);
  }
}

/** 1-based line and character of an offset (the character counts from the line's start, as Kapacitor's does). */
export function position(source: string, pos: number): { line: number; char: number } {
  let line = 1;
  let lastNewline = -1;
  for (let i = 0; i < pos && i < source.length; i++) {
    if (source[i] === '\n') {
      line++;
      lastNewline = i;
    }
  }
  return { line, char: pos - lastNewline };
}

const KEYWORDS: Readonly<Record<string, LexKind>> = {
  TRUE: 'true',
  FALSE: 'false',
  var: 'var',
  dbrp: 'dbrp',
  AND: 'operator',
  OR: 'operator',
};
const DURATION_UNITS = 'uµsmhdw';

const isSpace = (c: string | undefined): boolean => c !== undefined && /\s/u.test(c);
const isDigit = (c: string | undefined): boolean => c !== undefined && /\p{Nd}/u.test(c);
const isLetter = (c: string | undefined): boolean => c !== undefined && /\p{L}/u.test(c);
const isIdentPart = (c: string | undefined): boolean => c !== undefined && (isLetter(c) || isDigit(c) || c === '_');

/** Cuts a whole script into tokens (comments dropped); throws TickSyntaxError where Kapacitor's lexer stops. */
export function lex(source: string): LexToken[] {
  const tokens: LexToken[] = [];
  // Code points, so that `µ` is one character as in Kapacitor's rune-based lexer.
  const chars = Array.from(source);
  const offsets: number[] = [];
  let offset = 0;
  for (const c of chars) {
    offsets.push(offset);
    offset += c.length;
  }
  offsets.push(offset);
  let i = 0;
  /** After a value: the next operator-looking character is a binary operator. */
  let afterValue = false;
  const fail = (at: number, message: string): never => {
    const { line, char } = position(source, offsets[at] ?? source.length);
    throw new TickSyntaxError(line, char, `${message} (line ${line} char ${char})`);
  };
  const push = (kind: LexKind, start: number, end: number, text?: string): void => {
    tokens.push({ kind, text: text ?? chars.slice(start, end).join(''), pos: offsets[start] ?? 0 });
  };

  const regex = (start: number): number => {
    let j = start + 1;
    for (;;) {
      const c = chars[j];
      if (c === undefined) return fail(start, 'unterminated regex');
      if (c === '\\' && chars[j + 1] === '/') j += 2;
      else if (c === '/') break;
      else j++;
    }
    push('regex', start, j + 1);
    return j + 1;
  };

  while (i < chars.length) {
    const c = chars[i] as string;
    if (afterValue) {
      // Kapacitor skips all white space (newlines too) looking for a binary operator.
      let j = i;
      while (isSpace(chars[j])) j++;
      const o = chars[j];
      const next = chars[j + 1];
      afterValue = false;
      if (o === '/' && next === '/') {
        i = j;
        continue;
      }
      if (o === '+' || o === '-' || o === '*' || o === '%' || o === '/') {
        push('operator', j, j + 1);
        i = j + 1;
        continue;
      }
      if (o === '!' || o === '<' || o === '>' || o === '=') {
        const two = next === '=' || ((o === '!' || o === '=') && next === '~');
        const end = two ? j + 2 : j + 1;
        const text = chars.slice(j, end).join('');
        push(text === '=' ? '=' : text === '!' ? 'operator' : 'operator', j, end);
        i = end;
        if (text === '=' || text === '=~' || text === '!~') {
          let k = i;
          while (isSpace(chars[k])) k++;
          if (chars[k] === '/') i = regex(k);
        }
        continue;
      }
      i = j;
      continue;
    }
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === '-' || c === '!') {
      push('operator', i, i + 1);
      i++;
      continue;
    }
    if (isDigit(c) || c === '.') {
      let j = i;
      let decimal = false;
      let kind: LexKind = 'number';
      for (;;) {
        const d = chars[j];
        if (d === '.') {
          if (j === i && !isDigit(chars[j + 1])) {
            kind = '.';
            j++;
            break;
          }
          if (decimal) fail(i, 'multiple decimals in number');
          decimal = true;
          j++;
        } else if (isDigit(d)) {
          j++;
        } else if (!decimal && d !== undefined && DURATION_UNITS.includes(d)) {
          j++;
          if (d === 'm' && chars[j] === 's') j++;
          kind = 'duration';
          break;
        } else {
          break;
        }
      }
      push(kind, i, j);
      afterValue = kind !== '.';
      i = j;
      continue;
    }
    if (isLetter(c)) {
      let j = i;
      while (isIdentPart(chars[j])) j++;
      const word = chars.slice(i, j).join('');
      if (word === 'lambda' && chars[j] === ':') {
        push('lambda', i, j + 1);
        i = j + 1;
        continue;
      }
      push(KEYWORDS[word] ?? 'ident', i, j);
      afterValue = true;
      i = j;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      for (;;) {
        const d = chars[j];
        if (d === undefined) fail(i, 'unterminated field reference');
        if (d === '\\' && chars[j + 1] === '"') j += 2;
        else if (d === '"') break;
        else j++;
      }
      push('reference', i, j + 1, chars.slice(i + 1, j).join(''));
      afterValue = true;
      i = j + 1;
      continue;
    }
    if (c === "'") {
      const triple = chars[i + 1] === "'" && chars[i + 2] === "'";
      if (!triple && chars[i + 1] === "'") {
        push('string', i, i + 2, '');
        afterValue = true;
        i += 2;
        continue;
      }
      const open = triple ? 3 : 1;
      let j = i + open;
      for (;;) {
        const d = chars[j];
        if (d === undefined) fail(i, 'unterminated string');
        if (!triple && d === '\\' && chars[j + 1] === "'") j += 2;
        else if (triple && d === "'" && chars[j + 1] === "'" && chars[j + 2] === "'") break;
        else if (!triple && d === "'") break;
        else j++;
      }
      push('string', i, j + open, chars.slice(i + open, j).join(''));
      afterValue = true;
      i = j + open;
      continue;
    }
    if (c === '/') {
      if (chars[i + 1] === '/') {
        while (i < chars.length && chars[i] !== '\n') i++;
        continue;
      }
      i = regex(i);
      continue;
    }
    const single: Readonly<Record<string, LexKind>> = {
      '(': '(',
      ')': ')',
      '[': '[',
      ']': ']',
      '|': '|',
      '@': '@',
      ',': ',',
      '*': 'star',
    };
    const kind = single[c];
    if (kind === undefined) fail(i, `unexpected character '${c}'`);
    push(kind as LexKind, i, i + 1);
    afterValue = kind === ')';
    i++;
  }
  tokens.push({ kind: 'eof', text: '', pos: source.length });
  return tokens;
}
