import type { EdgeType } from '../protocol/index.js';
import type { UdfDefinition } from '../sdk/index.js';
import { parseDuration } from '../tickscript/index.js';
import type { Arg, OptionCall, UdfCall } from './calls.js';
import { KAPACITOR_NODES, type NodeModel } from './kapacitor-nodes.js';
import { position } from './lexer.js';
import type { Expr, Statement } from './parser.js';

/**
 * When Kapacitor finds a problem: `define` — the task is refused when it is defined or enabled
 * (in a load directory that stops kapacitord); `start` — the task is defined but fails when its
 * UDF is initialised; `ignored` — Kapacitor accepts it and the text has no effect.
 */
export type Stage = 'define' | 'start' | 'ignored';

export interface Finding {
  line: number;
  message: string;
  stage: Stage;
}

type Edge = EdgeType | 'none' | 'unknown';

type Value =
  /** A pipeline node: a model type name, or a UDF node. */
  | { kind: 'node'; type: string; provides: Edge; udf?: { call: UdfCall; def: UdfDefinition } }
  | { kind: 'value'; arg: Arg }
  | { kind: 'unknown' };

const UNKNOWN: Value = { kind: 'unknown' };

/** Edge types of nodes whose output is not simply their input's (everything else passes its edge on). */
const PROVIDES: Readonly<Record<string, Edge>> = {
  from: 'stream',
  query: 'batch',
  window: 'batch',
  stats: 'stream',
  deadman: 'stream',
  combine: 'stream',
  ec2Autoscale: 'stream',
  k8sAutoscale: 'stream',
  swarmAutoscale: 'stream',
  influxDBOut: 'none',
  kapacitorLoopback: 'none',
  // InfluxQL functions: these reduce a batch (or window) to one point per group...
  count: 'stream',
  mean: 'stream',
  median: 'stream',
  mode: 'stream',
  spread: 'stream',
  sum: 'stream',
  first: 'stream',
  last: 'stream',
  min: 'stream',
  max: 'stream',
  percentile: 'stream',
  stddev: 'stream',
  // ...and these return a batch.
  distinct: 'batch',
  top: 'batch',
  bottom: 'batch',
  holtWinters: 'batch',
  holtWintersWithFit: 'batch',
};

const lcFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
const has = (record: Readonly<Record<string, string>>, name: string): boolean => Object.hasOwn(record, name);

/** How a node is named in messages: `|log()`, `stream`, `@edgeDetect()`, or an alert handler's property. */
function nodeLabel(v: Extract<Value, { kind: 'node' }>): string {
  if (v.udf !== undefined) return `@${v.udf.def.name}()`;
  if (v.type === 'StreamNode') return 'stream';
  if (v.type === 'BatchNode') return 'batch';
  const chainName = Object.entries(KAPACITOR_NODES.LogNode?.chain ?? {}).find(([, t]) => t === v.type)?.[0];
  if (v.type === 'FromNode') return '|from()';
  if (v.type === 'QueryNode') return '|query()';
  if (v.type === 'InfluxQLNode') return 'an InfluxQL function node';
  if (v.type.endsWith('Handler')) return `the alert handler ${v.type}`;
  return chainName !== undefined ? `|${chainName}()` : v.type;
}

/** The model of a node: a UDF node has its options as properties and every chaining method. */
function modelOf(v: Extract<Value, { kind: 'node' }>): NodeModel | undefined {
  if (v.udf === undefined) return KAPACITOR_NODES[v.type];
  const properties: Record<string, string> = { quiet: '' };
  for (const name of Object.keys(v.udf.def.options)) properties[name] = '';
  return { properties, chain: KAPACITOR_NODES.LogNode?.chain ?? {} };
}

/** The first identifier of a chain (`stream` of `stream|from()...`), as Kapacitor finds the task type. */
function chainHead(e: Expr): string | undefined {
  let cur = e;
  while (cur.type === 'chain') cur = cur.left;
  return cur.type === 'ident' ? cur.name : undefined;
}

/**
 * Evaluates a parsed TICKscript the way Kapacitor builds a task's pipeline from it, as far as the
 * pipeline's shape and its UDF calls go: the task type, variables, which node each `|`, `.` and
 * `@` is applied to, and the edge types between nodes. It returns the UDF calls it met (with their
 * options) and what Kapacitor would refuse; it goes on after a problem so that all are reported.
 */
export function evaluatePipeline(
  source: string,
  program: readonly Statement[],
  definitions: readonly UdfDefinition[],
): { calls: UdfCall[]; callDefs: Map<UdfCall, UdfDefinition>; findings: Finding[] } {
  const findings: Finding[] = [];
  const lineOf = (pos: number): number => position(source, pos).line;
  const report = (pos: number, message: string, stage: Stage = 'define'): void =>
    void findings.push({ line: lineOf(pos), message, stage });
  const byName = new Map(definitions.map((d) => [d.name, d]));
  const calls: UdfCall[] = [];
  const callDefs = new Map<UdfCall, UdfDefinition>();
  const scope = new Map<string, Value>();
  let nodes = 0;

  // The task type: the head of every top-level chain and declaration must be the same source.
  const heads = new Set<string>();
  for (const s of program) {
    const e = s.type === 'expr' && s.expr.type === 'chain' ? s.expr : s.type === 'var' ? s.value : undefined;
    const head = e === undefined ? undefined : chainHead(e);
    if (head === 'stream' || head === 'batch') heads.add(head);
  }
  // With both, each pipeline is still checked on its own.
  if (heads.has('stream')) scope.set('stream', { kind: 'node', type: 'StreamNode', provides: 'stream' });
  if (heads.has('batch')) scope.set('batch', { kind: 'node', type: 'BatchNode', provides: 'batch' });
  if (heads.size !== 1) {
    report(
      0,
      heads.size === 0
        ? 'the script starts no pipeline from stream or batch, so Kapacitor cannot tell the task type'
        : 'the script uses both stream and batch; a task is one or the other',
    );
  }

  const literal = (e: Expr): Arg | undefined => {
    const line = lineOf(e.pos);
    switch (e.type) {
      case 'number': {
        if (e.text.includes('.')) return { type: 'double', text: e.text, value: Number(e.text), line };
        // A leading zero makes the number octal, as in Kapacitor.
        const octal = e.text.length > 1 && e.text.startsWith('0');
        if (octal && !/^[0-7]+$/.test(e.text)) return { type: 'double', text: e.text, value: 0, line };
        return { type: 'int', text: e.text, value: octal ? BigInt(`0o${e.text.slice(1)}`) : BigInt(e.text), line };
      }
      case 'duration':
        return { type: 'duration', text: e.text, value: parseDuration(e.text), line };
      case 'string':
        return { type: 'string', text: `'${e.value}'`, value: e.value, line };
      case 'bool':
        return { type: 'bool', text: e.value ? 'TRUE' : 'FALSE', value: e.value, line };
      case 'reference':
        return { type: 'reference', text: `"${e.text}"`, line };
      case 'regex':
        return { type: 'regex', text: e.text, line };
      case 'star':
        return { type: 'star', text: '*', line };
      case 'lambda':
        return { type: 'lambda', text: 'lambda: ...', line };
      case 'list':
        return { type: 'list', text: '[...]', line };
      default:
        return undefined;
    }
  };

  /** Evaluates a value-like expression (an argument or the right side of `var x =`). */
  const evalValue = (e: Expr): Value => {
    if (e.type === 'ident') {
      const v = scope.get(e.name);
      if (v === undefined) {
        report(e.pos, `'${e.name}' is not defined${e.name === 'stream' || e.name === 'batch' ? ' in this task' : ''}`);
        return UNKNOWN;
      }
      return v;
    }
    if (e.type === 'chain') return evalChain(e);
    if (e.type === 'unary') {
      const inner = evalValue(e.operand);
      if (
        e.op === '-' &&
        inner.kind === 'value' &&
        (inner.arg.type === 'int' || inner.arg.type === 'double' || inner.arg.type === 'duration')
      ) {
        const value =
          typeof inner.arg.value === 'bigint'
            ? -inner.arg.value
            : typeof inner.arg.value === 'number'
              ? -inner.arg.value
              : undefined;
        return {
          kind: 'value',
          arg: { ...inner.arg, text: `-${inner.arg.text}`, ...(value !== undefined ? { value } : {}) },
        };
      }
      return UNKNOWN;
    }
    if (e.type === 'binary') {
      evalValue(e.left);
      evalValue(e.right);
      return UNKNOWN;
    }
    if (e.type === 'call') {
      for (const a of e.args) evalValue(a);
      return UNKNOWN;
    }
    if (e.type === 'list') {
      for (const item of e.items) if (item.type === 'ident') evalValue(item);
    }
    const arg = literal(e);
    return arg === undefined ? UNKNOWN : { kind: 'value', arg };
  };

  const toArg = (v: Value, e: Expr): Arg => {
    const line = lineOf(e.pos);
    if (v.kind === 'value') return { ...v.arg, line, text: e.type === 'ident' ? e.name : v.arg.text };
    if (v.kind === 'node') return { type: 'expression', text: e.type === 'ident' ? e.name : 'a pipeline', line };
    return { type: 'unknown', text: e.type === 'ident' ? e.name : 'an expression', line };
  };

  const newNode = (type: string, provides: Edge): Value => {
    nodes++;
    return { kind: 'node', type, provides };
  };

  const wrongOperator = (model: NodeModel, name: string, label: string, used: '|' | '.' | '@'): string => {
    if (used !== '.' && has(model.properties, name))
      return `'${name}' is a property of ${label}: write .${name}(), not ${used}${name}()`;
    if (used !== '|' && has(model.chain, name))
      return `'${name}' is a chaining method: write |${name}(), not ${used}${name}()`;
    if (used !== '@' && byName.has(name)) return `'${name}' is a UDF: write @${name}(), not ${used}${name}()`;
    const owners = [...byName.values()].filter((d) => Object.hasOwn(d.options, name)).map((d) => `@${d.name}()`);
    const hint =
      used === '.' && owners.length > 0
        ? `; it is an option of ${owners.join(', ')}, so it must follow that call before any other node`
        : '';
    return `${label} has no ${used === '|' ? 'chaining method' : used === '@' ? 'UDF' : 'property'} '${used}${name}()'${hint}`;
  };

  const evalChain = (e: Extract<Expr, { type: 'chain' }>): Value => {
    const left = evalValue(e.left);
    const right = e.right;
    if (right.type === 'ident') return UNKNOWN;
    const name = lcFirst(right.name);
    const argValues = right.args.map((a) => evalValue(a));
    if (e.op === '@') {
      const def = byName.get(right.name);
      if (def === undefined) {
        const model = left.kind === 'node' ? modelOf(left) : undefined;
        if (model !== undefined && left.kind === 'node' && (has(model.properties, name) || has(model.chain, name)))
          report(right.pos, wrongOperator(model, name, nodeLabel(left), '@'));
        else
          report(right.pos, `unknown function '@${right.name}()' (known: ${[...byName.keys()].join(', ') || 'none'})`);
        return UNKNOWN;
      }
      if (left.kind === 'node' && left.provides !== 'unknown' && left.provides !== def.wants) {
        const got = left.provides === 'none' ? 'no edge' : `a ${left.provides} edge`;
        report(right.pos, `@${def.name}() wants a ${def.wants} edge, but ${nodeLabel(left)} before it provides ${got}`);
      }
      const call: UdfCall = {
        name: def.name,
        args: right.args.map((a, i) => toArg(argValues[i] ?? UNKNOWN, a)),
        options: [],
        line: lineOf(right.pos),
      };
      calls.push(call);
      callDefs.set(call, def);
      nodes++;
      return { kind: 'node', type: 'UDFNode', provides: def.provides, udf: { call, def } };
    }
    if (left.kind !== 'node') return UNKNOWN;
    const model = modelOf(left);
    if (model === undefined) return UNKNOWN;
    const label = nodeLabel(left);
    if (e.op === '.') {
      if (left.udf !== undefined && Object.hasOwn(left.udf.def.options, right.name)) {
        const option: OptionCall = {
          name: right.name,
          args: right.args.map((a, i) => toArg(argValues[i] ?? UNKNOWN, a)),
          line: lineOf(right.pos),
        };
        left.udf.call.options.push(option);
        return left;
      }
      if (has(model.properties, name)) {
        const result = model.properties[name] as string;
        return result === '' ? left : { kind: 'node', type: result, provides: left.provides };
      }
      if (left.udf !== undefined && !has(model.chain, name) && !byName.has(right.name)) {
        // Unknown UDF options are reported with the function's own list of options.
        left.udf.call.options.push({
          name: right.name,
          args: right.args.map((a, i) => toArg(argValues[i] ?? UNKNOWN, a)),
          line: lineOf(right.pos),
        });
        return left;
      }
      report(right.pos, wrongOperator(model, name, label, '.'));
      return left;
    }
    // e.op === '|'
    if (!has(model.chain, name)) {
      report(right.pos, wrongOperator(model, name, label, '|'));
      return UNKNOWN;
    }
    if (name === 'window' && left.provides === 'batch')
      report(right.pos, `|window() needs a stream edge, but ${label} before it provides a batch edge`);
    const provides = PROVIDES[name] ?? left.provides;
    return newNode(model.chain[name] as string, provides);
  };

  let dbrps = 0;
  for (const s of program) {
    if (s.type === 'dbrp') {
      dbrps++;
      continue;
    }
    if (s.type === 'typed-var') {
      // A template's variable: its value comes with the task, so only its type is known.
      const declared: Readonly<Record<string, Arg['type']>> = {
        int: 'int',
        float: 'double',
        string: 'string',
        duration: 'duration',
        bool: 'bool',
        lambda: 'lambda',
        list: 'list',
        star: 'star',
        regex: 'regex',
      };
      const type = declared[s.varType];
      if (type === undefined)
        report(
          s.pos,
          `'${s.varType}' is not a variable type (int, float, string, duration, bool, lambda, list, star, regex)`,
        );
      scope.set(
        s.name,
        type === undefined ? UNKNOWN : { kind: 'value', arg: { type, text: s.name, line: lineOf(s.pos) } },
      );
      continue;
    }
    if (s.type === 'var') {
      const value = evalValue(s.value);
      if (scope.has(s.name)) report(s.pos, `'${s.name}' is already defined; variables cannot be redefined`);
      else scope.set(s.name, value);
      continue;
    }
    if (s.expr.type === 'ident') continue;
    evalValue(s.expr);
  }
  if (dbrps === 0)
    report(
      0,
      'no dbrp statement: a task loaded from a directory (or defined without -dbrp) must name its database and retention policy, e.g. dbrp "telegraf"."autogen"',
    );
  if (nodes === 0 && heads.size > 0) report(0, 'the task does nothing: nothing is chained to its stream or batch');
  return { calls, callDefs, findings };
}
