import { pino } from 'pino';
import type { InitOption, OptionValue, ValueType } from '../protocol/index.js';
import type { UdfDefinition } from '../sdk/index.js';
import { parseOptions } from '../sdk/internal.js';
import type { Arg, UdfCall } from './calls.js';
import { TickSyntaxError } from './lexer.js';
import { parse } from './parser.js';
import { evaluatePipeline, type Stage } from './pipeline.js';

export interface Problem {
  file: string;
  line: number;
  message: string;
  /** When Kapacitor would find it: refusing the task (`define`), failing it at UDF Init (`start`), or never (`ignored`). */
  stage: Stage;
}

export interface CheckResult {
  problems: Problem[];
  /** How many `@name()` calls were found. */
  calls: number;
}

const VALUE_TYPES = new Set<string>(['bool', 'int', 'double', 'string', 'duration']);
const isValueType = (t: string): t is ValueType => VALUE_TYPES.has(t);

/**
 * Checks one TICKscript the way Kapacitor treats it when the task is defined and enabled: its
 * syntax (Kapacitor's grammar), its task type and dbrp, the pipeline it builds (each `|`, `.` and
 * `@` applied to a node that has that method, property or UDF, and the edge types between nodes),
 * and every UDF call against the functions' declarations (known options, number and literal types
 * of values). It also finds what only the UDF's Init would: a repeated non-repeatable option, a
 * missing required one, and any value or combination the function itself rejects (its `create` is
 * run with the literal values, so it must be free of side effects, as the SDK asks).
 */
export function checkSource(source: string, file: string, definitions: readonly UdfDefinition[]): CheckResult {
  let program;
  try {
    program = parse(source);
  } catch (err) {
    if (err instanceof TickSyntaxError)
      return { problems: [{ file, line: err.line, message: err.message, stage: 'define' }], calls: 0 };
    throw err;
  }
  const { calls, callDefs, findings } = evaluatePipeline(source, program, definitions);
  const problems: Problem[] = findings.map((f) => ({ file, ...f }));
  for (const call of calls) {
    const def = callDefs.get(call);
    if (def === undefined) continue;
    checkCall(call, def, (line, message, stage) => void problems.push({ file, line, message, stage }));
  }
  problems.sort((a, b) => a.line - b.line);
  return { problems, calls: calls.length };
}

/**
 * The UDF calls of a script with their options, as Kapacitor builds them into the task: calls of
 * functions in `definitions` only, each value typed as Kapacitor would send it. Throws
 * TickSyntaxError for a script Kapacitor would refuse to parse.
 */
export function findUdfCalls(source: string, definitions: readonly UdfDefinition[]): UdfCall[] {
  return evaluatePipeline(source, parse(source), definitions).calls;
}

function checkCall(
  call: UdfCall,
  def: UdfDefinition,
  report: (line: number, message: string, stage: Stage) => void,
): void {
  const fn = `@${def.name}()`;
  let clean = true;
  const problem = (line: number, message: string, stage: Stage = 'define'): void => {
    if (stage !== 'ignored') clean = false;
    report(line, message, stage);
  };
  if (call.args.length > 0)
    problem(call.line, `${fn} takes no arguments (Kapacitor ignores them); give options as .name(value)`, 'ignored');
  const firstSeen = new Map<string, number>();
  const init: InitOption[] = [];
  let literal = true;
  for (const option of call.options) {
    const spec = def.options[option.name];
    if (spec === undefined || !Object.hasOwn(def.options, option.name)) {
      const known = Object.keys(def.options).join(', ') || 'none';
      problem(option.line, `${fn} has no option '.${option.name}()' (options: ${known})`);
      continue;
    }
    const want = spec.valueTypes;
    const label = `option '.${option.name}()' of ${fn}`;
    const earlier = firstSeen.get(option.name);
    if (earlier !== undefined && !spec.isRepeatable)
      problem(option.line, `${label} is given more than once (first on line ${earlier})`, 'start');
    if (earlier === undefined) firstSeen.set(option.name, option.line);
    if (option.args.length !== want.length) {
      problem(option.line, `${label} takes ${want.length} value(s) (${want.join(', ')}), got ${option.args.length}`);
      continue;
    }
    const values: OptionValue[] = [];
    option.args.forEach((arg, i) => {
      const expected = want[i] as ValueType;
      if (arg.type === 'unknown') {
        literal = false;
        return;
      }
      if (arg.type !== expected) {
        problem(arg.line, `${label}: value ${i + 1} must be ${article(expected)}, got ${describe(arg)}`);
        return;
      }
      if (arg.value !== undefined && isValueType(arg.type)) values.push({ type: arg.type, value: arg.value });
      else literal = false;
    });
    init.push({ name: option.name, values });
  }
  for (const [name, spec] of Object.entries(def.options)) {
    if (spec.isRequired && !firstSeen.has(name))
      problem(call.line, `${fn} is missing required option '.${name}()'`, 'start');
  }
  if (!clean || !literal) return;
  try {
    const options = parseOptions(def.options, init);
    def.create({ options, taskID: 'kudf-check', nodeID: 'kudf-check', log: pino({ level: 'silent' }) });
  } catch (err) {
    report(call.line, `${fn} would fail Init: ${err instanceof Error ? err.message : String(err)}`, 'start');
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describe(arg: Arg): string {
  const kind = arg.type === 'star' ? '*' : arg.type;
  return `${article(kind)} (${arg.text})`;
}
