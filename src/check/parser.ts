/**
 * A TICKscript parser that accepts what Kapacitor's parser accepts (the grammar of its TICKscript
 * specification) and builds the small tree `kudf check` evaluates. Positions are source offsets.
 */
import { lex, position, TickSyntaxError, type LexKind, type LexToken } from './lexer.js';

export type Expr =
  | { type: 'ident'; name: string; pos: number }
  | { type: 'number'; text: string; pos: number }
  | { type: 'duration'; text: string; pos: number }
  | { type: 'string'; value: string; pos: number }
  | { type: 'reference'; text: string; pos: number }
  | { type: 'regex'; text: string; pos: number }
  | { type: 'bool'; value: boolean; pos: number }
  | { type: 'star'; pos: number }
  | { type: 'list'; items: Expr[]; pos: number }
  | { type: 'lambda'; body: Expr; pos: number }
  | { type: 'unary'; op: string; operand: Expr; pos: number }
  | { type: 'binary'; op: string; left: Expr; right: Expr; pos: number }
  /** `name(args)`: a global function (`global`), or the right side of `|`, `.` or `@`. */
  | { type: 'call'; name: string; args: Expr[]; pos: number }
  | { type: 'chain'; op: '|' | '.' | '@'; left: Expr; right: Extract<Expr, { type: 'call' | 'ident' }>; pos: number };

export type Statement =
  | { type: 'dbrp'; db: string; rp: string; pos: number }
  | { type: 'var'; name: string; value: Expr; pos: number }
  | { type: 'typed-var'; name: string; varType: string; pos: number }
  | { type: 'expr'; expr: Expr; pos: number };

const DESCRIBE: Partial<Record<LexKind, string>> = {
  eof: 'end of script',
  ident: 'a name',
  number: 'a number',
  string: 'a string',
  reference: 'a reference',
  duration: 'a duration',
  regex: 'a regex',
  star: '*',
};
const describe = (t: LexToken): string => DESCRIBE[t.kind] ?? `'${t.text}'`;

/** Binding strength of the binary operators, weakest first (as in Kapacitor). */
const PRECEDENCE: Readonly<Record<string, number>> = {
  OR: 0,
  AND: 1,
  '==': 2,
  '!=': 2,
  '=~': 2,
  '!~': 2,
  '>': 3,
  '>=': 3,
  '<': 3,
  '<=': 3,
  '+': 4,
  '-': 4,
  '*': 5,
  '/': 5,
  '%': 5,
};
const isBinary = (t: LexToken): boolean => t.kind === 'operator' && PRECEDENCE[t.text] !== undefined;

/** Parses a whole script; throws TickSyntaxError (with Kapacitor's line and char) where Kapacitor's parser would stop. */
export function parse(source: string): Statement[] {
  const tokens = lex(source);
  let at = 0;
  const peek = (k = 0): LexToken => tokens[Math.min(at + k, tokens.length - 1)] as LexToken;
  const next = (): LexToken => {
    const t = peek();
    if (at < tokens.length - 1) at++;
    return t;
  };
  const unexpected = (t: LexToken, expected: string): never => {
    const { line, char } = position(source, t.pos);
    throw new TickSyntaxError(
      line,
      char,
      `syntax error at line ${line} char ${char}: unexpected ${describe(t)}, expected ${expected}`,
    );
  };
  const expect = (kind: LexKind, what: string): LexToken => {
    const t = next();
    if (t.kind !== kind) unexpected(t, what);
    return t;
  };

  const statement = (): Statement => {
    const t = peek();
    if (t.kind === 'var') {
      next();
      const name = expect('ident', 'a variable name').text;
      if (peek().kind === '=') {
        next();
        return { type: 'var', name, value: expression(), pos: t.pos };
      }
      return { type: 'typed-var', name, varType: expect('ident', "'=' or a type").text, pos: t.pos };
    }
    if (t.kind === 'dbrp') {
      next();
      const db = expect('reference', 'a "database" reference').text;
      expect('.', "'.'");
      const rp = expect('reference', 'a "retention policy" reference').text;
      return { type: 'dbrp', db, rp, pos: t.pos };
    }
    return { type: 'expr', expr: expression(), pos: t.pos };
  };

  const startsChain = (k: LexKind): boolean => k === '.' || k === '|' || k === '@' || k === 'var' || k === 'ident';

  const expression = (): Expr => {
    const t = peek();
    if (t.kind === 'ident') {
      const after = peek(1).kind;
      if (after === '(') {
        const fn = call();
        return startsChain(peek().kind) ? chain(fn) : climb(fn, 0);
      }
      if (startsChain(after)) {
        next();
        return chain({ type: 'ident', name: t.text, pos: t.pos });
      }
      return primaryExpr();
    }
    if (t.kind === 'lambda') {
      next();
      return { type: 'lambda', body: primaryExpr(), pos: t.pos };
    }
    if (t.kind === '[') return stringList();
    return primaryExpr();
  };

  const chain = (left: Expr): Expr => {
    let lhs = left;
    for (;;) {
      const op = peek();
      if (op.kind !== '.' && op.kind !== '|' && op.kind !== '@') return lhs;
      next();
      const name = peek();
      let right: Extract<Expr, { type: 'call' | 'ident' }>;
      if (op.kind === '|' || peek(1).kind === '(') right = call();
      else right = { type: 'ident', name: expect('ident', 'a name').text, pos: name.pos };
      lhs = { type: 'chain', op: op.kind, left: lhs, right, pos: op.pos };
    }
  };

  const call = (): Extract<Expr, { type: 'call' }> => {
    const name = expect('ident', 'a node or property name');
    expect('(', "'('");
    const args: Expr[] = [];
    while (peek().kind !== ')') {
      args.push(expression());
      if (peek().kind !== ',') break;
      next();
    }
    expect(')', "',' or ')'");
    return { type: 'call', name: name.text, args, pos: name.pos };
  };

  const stringList = (): Expr => {
    const open = expect('[', "'['");
    const items: Expr[] = [];
    while (peek().kind !== ']') {
      const t = next();
      if (t.kind === 'ident') items.push({ type: 'ident', name: t.text, pos: t.pos });
      else if (t.kind === 'string') items.push({ type: 'string', value: t.text, pos: t.pos });
      else if (t.kind === 'star') items.push({ type: 'star', pos: t.pos });
      else unexpected(t, 'a name, a string or *');
      if (peek().kind !== ',') break;
      next();
    }
    expect(']', "',' or ']'");
    return { type: 'list', items, pos: open.pos };
  };

  const primaryExpr = (): Expr => climb(primary(), 0);

  /** Operator-precedence climbing, left-associative. */
  const climb = (left: Expr, min: number): Expr => {
    let lhs = left;
    while (isBinary(peek()) && (PRECEDENCE[peek().text] as number) >= min) {
      const op = next();
      const opLevel = PRECEDENCE[op.text] as number;
      let rhs = primary();
      while (isBinary(peek()) && (PRECEDENCE[peek().text] as number) > opLevel)
        rhs = climb(rhs, PRECEDENCE[peek().text] as number);
      lhs = { type: 'binary', op: op.text, left: lhs, right: rhs, pos: op.pos };
    }
    return lhs;
  };

  const primary = (): Expr => {
    const t = peek();
    switch (t.kind) {
      case '(': {
        next();
        const inner = primaryExpr();
        expect(')', "')'");
        return inner;
      }
      case 'number':
        next();
        return { type: 'number', text: t.text, pos: t.pos };
      case 'duration':
        next();
        return { type: 'duration', text: t.text, pos: t.pos };
      case 'string':
        next();
        return { type: 'string', value: t.text.replace(/\\'/g, "'"), pos: t.pos };
      case 'true':
      case 'false':
        next();
        return { type: 'bool', value: t.kind === 'true', pos: t.pos };
      case 'regex':
        next();
        return { type: 'regex', text: t.text, pos: t.pos };
      case 'star':
        next();
        return { type: 'star', pos: t.pos };
      case 'reference':
        next();
        return { type: 'reference', text: t.text, pos: t.pos };
      case 'ident': {
        if (peek(1).kind !== '(') {
          next();
          return { type: 'ident', name: t.text, pos: t.pos };
        }
        // A function inside an expression takes expressions, not chains.
        next();
        next();
        const args: Expr[] = [];
        while (peek().kind !== ')') {
          args.push(primaryExpr());
          if (peek().kind !== ',') break;
          next();
        }
        expect(')', "',' or ')'");
        return { type: 'call', name: t.text, args, pos: t.pos };
      }
      case 'operator':
        if (t.text === '-' || t.text === '!') {
          next();
          return { type: 'unary', op: t.text, operand: primary(), pos: t.pos };
        }
        return unexpected(t, 'a value');
      default:
        return unexpected(t, 'a value');
    }
  };

  const program: Statement[] = [];
  while (peek().kind !== 'eof') program.push(statement());
  return program;
}
