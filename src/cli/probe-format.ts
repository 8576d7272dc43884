import type { Point } from '../protocol/index.js';

/** A returned point as JSON with every type kept: int fields and times as decimal strings. */
export function pointToJson(point: Point): Record<string, unknown> {
  const fieldsDouble: Record<string, number> = {};
  const fieldsInt: Record<string, string> = {};
  const fieldsString: Record<string, string> = {};
  const fieldsBool: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(point.fields)) {
    if (typeof v === 'number') fieldsDouble[k] = v;
    else if (typeof v === 'bigint') fieldsInt[k] = v.toString();
    else if (typeof v === 'string') fieldsString[k] = v;
    else fieldsBool[k] = v;
  }
  return {
    time: point.time.toString(),
    name: point.name,
    database: point.database,
    retentionPolicy: point.retentionPolicy,
    group: point.group,
    dimensions: point.dimensions,
    byName: point.byName,
    tags: { ...point.tags },
    fieldsDouble,
    fieldsInt,
    fieldsString,
    fieldsBool,
  };
}

/** JSON.stringify that writes bigint as a decimal string. */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
