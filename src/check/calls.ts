import type { ValueType } from '../protocol/types.js';
import type { Token } from './scanner.js';
import { parseDuration } from '../tickscript/duration.js';

/**
 * The type of one value in a TICKscript call: a literal type Kapacitor can send to a UDF, or
 * something that is not a literal (never acceptable as a UDF option value), or `unknown` for a
 * variable whose type the checker cannot tell.
 */
export type ArgType = ValueType | 'lambda' | 'reference' | 'regex' | 'list' | 'star' | 'expression' | 'unknown';

export interface Arg {
  type: ArgType;
  /** The value as written, for messages. */
  text: string;
  /** The literal's value for a ValueType argument (duration in ns); absent otherwise. */
  value?: boolean | bigint | number | string;
  line: number;
}

export interface OptionCall {
  name: string;
  args: Arg[];
  line: number;
}

export interface UdfCall {
  name: string;
  args: Arg[];
  options: OptionCall[];
  line: number;
}

/** Nanoseconds of a duration literal such as `10s` or `500ms`. */
export const durationNs = parseDuration;

const DECLARED_TYPES: Record<string, ArgType> = { int: 'int', float: 'double', string: 'string', duration: 'duration', bool: 'bool', lambda: 'lambda' };

/**
 * The typed variables of a script: `var x = <literal>` and template declarations `var x string`.
 * A variable assigned anything else is left out (its uses check as `unknown`).
 */
function variables(tokens: Token[]): Map<string, Arg> {
  const vars = new Map<string, Arg>();
  for (let i = 0; i + 2 < tokens.length; i++) {
    const t = tokens[i] as Token;
    const name = tokens[i + 1] as Token;
    if (t.kind !== 'ident' || t.text !== 'var' || name.kind !== 'ident') continue;
    const next = tokens[i + 2] as Token;
    if (next.kind === 'ident' && DECLARED_TYPES[next.text] !== undefined) {
      vars.set(name.text, { type: DECLARED_TYPES[next.text] as ArgType, text: name.text, line: name.line });
      continue;
    }
    if (next.text !== '=') continue;
    // Only a single literal counts: `var x = 10s`, not `var x = stream |from()...`.
    let end = i + 3;
    if (tokens[end]?.text === '-') end++;
    const after = tokens[end + 1];
    const startsStatement = after === undefined || after.line > (tokens[end] as Token).line || after.text === 'var';
    if (tokens[end] === undefined || !startsStatement) continue;
    const arg = classify(tokens.slice(i + 3, end + 1), new Map());
    if (arg.type !== 'expression' && arg.type !== 'unknown') vars.set(name.text, { ...arg, text: name.text });
  }
  return vars;
}

/** Classifies the tokens of one argument. */
function classify(tokens: Token[], vars: Map<string, Arg>): Arg {
  const first = tokens[0];
  const line = first?.line ?? 0;
  const text = tokens.map((t) => (t.kind === 'string' ? `'${t.text}'` : t.kind === 'reference' ? `"${t.text}"` : t.text)).join(' ');
  if (first === undefined) return { type: 'expression', text: '', line };
  const negative = first.text === '-' && first.kind === 'punct';
  const lit = negative ? tokens[1] : first;
  const rest = tokens.length - (negative ? 2 : 1);
  if (lit !== undefined && rest === 0) {
    const sign = negative ? -1 : 1;
    switch (lit.kind) {
      case 'int':
        return { type: 'int', text, value: BigInt(sign) * BigInt(lit.text), line };
      case 'double':
        return { type: 'double', text, value: sign * Number(lit.text), line };
      case 'duration':
        return { type: 'duration', text, value: BigInt(sign) * durationNs(lit.text), line };
      case 'string':
        if (!negative) return { type: 'string', text, value: lit.text, line };
        break;
      case 'reference':
        if (!negative) return { type: 'reference', text, line };
        break;
      case 'regex':
        if (!negative) return { type: 'regex', text, line };
        break;
      case 'ident':
        if (negative) break;
        if (lit.text === 'TRUE' || lit.text === 'FALSE') return { type: 'bool', text, value: lit.text === 'TRUE', line };
        return vars.has(lit.text) ? { ...(vars.get(lit.text) as Arg), text, line } : { type: 'unknown', text, line };
      case 'punct':
        if (lit.text === '*' && !negative) return { type: 'star', text, line };
        break;
      default:
        break;
    }
  }
  if (first.kind === 'ident' && first.text === 'lambda') return { type: 'lambda', text, line };
  if (first.text === '[') return { type: 'list', text, line };
  return { type: 'expression', text, line };
}

/**
 * Reads a parenthesised argument list starting at `tokens[open]` (which must be `(`); returns
 * the arguments and the index after the closing `)`.
 */
function readArgs(tokens: Token[], open: number, vars: Map<string, Arg>): { args: Arg[]; next: number } {
  const args: Arg[] = [];
  let depth = 0;
  let current: Token[] = [];
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'punct' && (t.text === '(' || t.text === '[')) {
      depth++;
      if (depth === 1) continue;
    } else if (t.kind === 'punct' && (t.text === ')' || t.text === ']')) {
      depth--;
      if (depth === 0) {
        if (current.length > 0 || args.length > 0) args.push(classify(current, vars));
        return { args, next: i + 1 };
      }
    } else if (depth === 1 && t.kind === 'punct' && t.text === ',') {
      args.push(classify(current, vars));
      current = [];
      continue;
    }
    current.push(t);
  }
  return { args, next: tokens.length };
}

/** Every `@name(...)` in the tokens with the `.option(...)` chain that follows it. */
export function findUdfCalls(tokens: Token[]): UdfCall[] {
  const vars = variables(tokens);
  const calls: UdfCall[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const at = tokens[i] as Token;
    const name = tokens[i + 1];
    if (at.kind !== 'punct' || at.text !== '@' || name?.kind !== 'ident' || tokens[i + 2]?.text !== '(') continue;
    const head = readArgs(tokens, i + 2, vars);
    const call: UdfCall = { name: name.text, args: head.args, options: [], line: name.line };
    let j = head.next;
    while (tokens[j]?.text === '.' && tokens[j + 1]?.kind === 'ident' && tokens[j + 2]?.text === '(') {
      const option = tokens[j + 1] as Token;
      const read = readArgs(tokens, j + 2, vars);
      call.options.push({ name: option.text, args: read.args, line: option.line });
      j = read.next;
    }
    calls.push(call);
    i = j - 1;
  }
  return calls;
}
