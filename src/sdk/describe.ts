import type { OptionInfo, Response } from '../protocol/index.js';
import type { UdfDefinition } from './define-udf.js';

/** The InfoResponse Kapacitor gets for a function, derived from its declaration. */
export function describeUdf(def: UdfDefinition): Extract<Response, { kind: 'info' }> {
  const options: Record<string, OptionInfo> = {};
  for (const [name, spec] of Object.entries(def.options)) options[name] = { valueTypes: [...spec.valueTypes] };
  return { kind: 'info', wants: def.wants, provides: def.provides, options };
}
