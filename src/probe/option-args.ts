import type { InitOption, OptionValue, ValueType } from '../protocol/index.js';
import { parseDuration } from '../tickscript/index.js';

export { parseDuration };

/** A command-line option argument the probe cannot turn into an Init option. */
export class OptionArgError extends Error {
  override readonly name = 'OptionArgError';
  readonly code = 'KUDF_PROBE_BAD_OPTION_ARG';
}

function typed(raw: string, type: ValueType): OptionValue {
  switch (type) {
    case 'bool':
      if (!/^(true|false)$/i.test(raw)) throw new OptionArgError(`'${raw}' is not a bool (true/false)`);
      return { type, value: raw.toLowerCase() === 'true' };
    case 'int':
      if (!/^-?\d+$/.test(raw)) throw new OptionArgError(`'${raw}' is not an int`);
      return { type, value: BigInt(raw) };
    case 'double': {
      const n = Number(raw);
      if (raw.trim() === '' || Number.isNaN(n)) throw new OptionArgError(`'${raw}' is not a double`);
      return { type, value: n };
    }
    case 'duration':
      try {
        return { type, value: parseDuration(raw) };
      } catch (err) {
        throw new OptionArgError((err as Error).message);
      }
    case 'string':
      return { type, value: raw };
  }
}

/** Infers a value's type the way TICKscript reads literals: `'x'` string, `10` int, `10.0` double, `10s` duration, `TRUE` bool. */
function inferred(raw: string): OptionValue {
  if (/^'.*'$/s.test(raw)) return { type: 'string', value: raw.slice(1, -1).replace(/\\'/g, "'") };
  if (/^-?\d+$/.test(raw)) return typed(raw, 'int');
  if (/^-?\d+\.\d*(e-?\d+)?$/i.test(raw)) return typed(raw, 'double');
  if (/^(TRUE|FALSE)$/.test(raw)) return typed(raw, 'bool');
  if (/^-?\d+(us|µs|μs|u|µ|μ|ms|s|m|h|d|w)$/.test(raw)) return typed(raw, 'duration');
  return { type: 'string', value: raw };
}

const TYPES = new Set<ValueType>(['bool', 'int', 'double', 'string', 'duration']);

/** Splits on commas not escaped with a backslash. */
function splitValues(text: string): string[] {
  const out: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) current += text[++i];
    else if (c === ',') {
      out.push(current);
      current = '';
    } else current += c;
  }
  out.push(current);
  return out;
}

/**
 * Parses `--opt` arguments: `name=value:type`, several values as `name=v1:t1,v2:t2` (a literal
 * comma as `\,`), the type optional and then inferred as TICKscript would (`'x'`, `10`, `10.0`,
 * `10s`, `TRUE`; any other bare word is a string). Repeat `--opt` for a repeated option.
 */
export function parseOptionArg(arg: string): InitOption {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new OptionArgError(`--opt '${arg}' must look like name=value:type`);
  const name = arg.slice(0, eq);
  const rest = arg.slice(eq + 1);
  const values =
    rest === ''
      ? []
      : splitValues(rest).map((part) => {
          const colon = part.lastIndexOf(':');
          const type = colon >= 0 ? (part.slice(colon + 1) as ValueType) : undefined;
          if (type !== undefined && TYPES.has(type)) return typed(part.slice(0, colon), type);
          return inferred(part);
        });
  return { name, values };
}
