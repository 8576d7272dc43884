import type { ValueType } from '../protocol/index.js';
import { formatDuration } from './duration.js';

/** A value written as the TICKscript literal of its declared type: `'avg'`, `10`, `1.5`, `TRUE`, `10s`. */
export function formatLiteral(value: unknown, type: ValueType): string {
  switch (type) {
    case 'string':
      return `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
    case 'bool':
      return value === true ? 'TRUE' : 'FALSE';
    case 'duration':
      return typeof value === 'bigint' ? formatDuration(value) : String(value);
    case 'double': {
      const text = String(value);
      // 10.0, not 10: TICKscript reads `10` as an int.
      return /^-?\d+$/.test(text) ? `${text}.0` : text;
    }
    case 'int':
      return String(value);
  }
}

/** A declared option's value (one or a tuple of values) as TICKscript arguments. */
export function formatArguments(value: unknown, types: readonly ValueType[]): string {
  const values = types.length === 1 ? [value] : Array.isArray(value) ? value : [value];
  return types.map((t, i) => formatLiteral(values[i], t)).join(', ');
}
