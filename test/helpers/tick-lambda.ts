/**
 * A small evaluator for the TICKscript lambda subset the shipped alerts use: field references
 * ("name"), string literals ('x'), TRUE/FALSE, numbers, ==, !=, AND, OR, NOT and parentheses.
 * Anything else throws, so a script that grows beyond it fails its test instead of passing.
 */
type Value = string | number | boolean | bigint | undefined;
type Token = { kind: 'field' | 'string' | 'number' | 'bool' | 'op' | 'paren'; text: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re =
    /\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(-?\d+(?:\.\d+)?)|(TRUE|FALSE)\b|(==|!=|AND\b|OR\b|NOT\b)|([()]))/y;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) throw new Error(`lambda: cannot read ${JSON.stringify(src.slice(pos))}`);
    pos = re.lastIndex;
    if (m[1] !== undefined) out.push({ kind: 'field', text: m[1] });
    else if (m[2] !== undefined) out.push({ kind: 'string', text: m[2].replace(/\\'/g, "'") });
    else if (m[3] !== undefined) out.push({ kind: 'number', text: m[3] });
    else if (m[4] !== undefined) out.push({ kind: 'bool', text: m[4] });
    else if (m[5] !== undefined) out.push({ kind: 'op', text: m[5] });
    else out.push({ kind: 'paren', text: m[6] ?? '' });
  }
  return out;
}

/** Evaluates `expr` against a point's fields (and tags, which lambdas see the same way). */
export function evalLambda(expr: string, fields: Readonly<Record<string, Value>>): boolean {
  const tokens = tokenize(expr);
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const take = (): Token => {
    const t = tokens[i];
    if (t === undefined) throw new Error('lambda: unexpected end');
    i += 1;
    return t;
  };
  const primary = (): Value => {
    const t = take();
    if (t.kind === 'paren' && t.text === '(') {
      const v = or();
      if (take().text !== ')') throw new Error('lambda: missing )');
      return v;
    }
    if (t.kind === 'op' && t.text === 'NOT') return !truthy(primary());
    if (t.kind === 'field') return fields[t.text];
    if (t.kind === 'string') return t.text;
    if (t.kind === 'number') return Number(t.text);
    if (t.kind === 'bool') return t.text === 'TRUE';
    throw new Error(`lambda: unexpected ${t.text}`);
  };
  const comparison = (): Value => {
    const left = primary();
    const op = peek();
    if (op?.kind === 'op' && (op.text === '==' || op.text === '!=')) {
      take();
      const right = primary();
      return op.text === '==' ? left === right : left !== right;
    }
    return left;
  };
  const and = (): Value => {
    let v = comparison();
    while (peek()?.text === 'AND') {
      take();
      const r = comparison();
      v = truthy(v) && truthy(r);
    }
    return v;
  };
  const or = (): Value => {
    let v = and();
    while (peek()?.text === 'OR') {
      take();
      const r = and();
      v = truthy(v) || truthy(r);
    }
    return v;
  };
  const result = or();
  if (i !== tokens.length) throw new Error(`lambda: trailing ${tokens[i]?.text ?? ''}`);
  if (typeof result !== 'boolean') throw new Error('lambda: not a boolean expression');
  return result;
}

function truthy(v: Value): boolean {
  if (typeof v !== 'boolean') throw new Error('lambda: AND/OR/NOT need booleans');
  return v;
}

/** The lambda of `.<method>(lambda: ...)` in a TICKscript, e.g. `crit`; throws if absent. */
export function lambdaOf(script: string, method: string): string {
  const m = new RegExp(
    String.raw`\.${method}\(\s*lambda:\s*((?:[^()'"]|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|\([^()]*\))*)\)`,
  ).exec(script);
  if (!m?.[1]) throw new Error(`no .${method}(lambda: ...) in the script`);
  return m[1].trim();
}
