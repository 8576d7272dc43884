import type { LinePoint } from '../../line-protocol/index.js';
import { LINE_METRIC_KEYS } from '../parsers/index.js';
import type { PollErrorClass } from '../transport/index.js';

/** Tags and time shared by the points of one poll. */
export interface PointContext {
  /** The router name, written as the `host` tag. */
  host: string;
  /** The router's extra tags (never `host`). */
  tags: Readonly<Record<string, string>>;
  /** Poll start, nanoseconds since the epoch. */
  time: bigint;
}

/** Keys that never go into `adsl_line`: they describe the connection, not the line metrics. */
const CONNECTION_KEYS = new Set(['state', 'state_detail', 'state_class', 'line_up']);
/** Text that describes the line and belongs with its metrics. */
const LINE_STRING_KEYS = new Set(['mode', 'profile', 'counters_scope']);

/**
 * Whether a metric is written as an integer: the parsers' key table decides; a key it does
 * not list follows the naming scheme of test/fixtures/adsl/README.md (rates in kbps, error
 * counters, seconds, counts). Everything else numeric is a float, so a field's type never
 * flips between points.
 */
export function isIntegerMetric(key: string): boolean {
  const known = (LINE_METRIC_KEYS as Readonly<Record<string, 'int' | 'float'>>)[key];
  if (known !== undefined) return known === 'int';
  return /_kbps$|_errors(_down|_up)?$|_s$|_count$/.test(key);
}

export interface StatusPoints {
  points: LinePoint[];
  /** Keys left out, each with why: a value of the wrong type is dropped, never made up. */
  skipped: Array<{ key: string; reason: string }>;
}

/**
 * Turns one parsed status into `adsl_connection` (when the device printed a state) and
 * `adsl_line` (when it printed any metric). Accepts any object so the parsers' LineStatus
 * interface fits without an index signature.
 */
export function statusToPoints(status: object, ctx: PointContext): StatusPoints {
  const entries = Object.entries(status) as Array<[string, unknown]>;
  const get = (k: string): unknown => entries.find(([key]) => key === k)?.[1];
  const tags = { ...ctx.tags, host: ctx.host };
  const points: LinePoint[] = [];
  const skipped: StatusPoints['skipped'] = [];

  const state = get('state');
  if (typeof state === 'string' && state !== '') {
    const fields: LinePoint['fields'] = { value: state };
    const cls = get('state_class');
    if (typeof cls === 'string' && cls !== '') fields.state_class = cls;
    const up = get('line_up');
    if (typeof up === 'boolean') fields.line_up = up;
    points.push({ measurement: 'adsl_connection', tags, fields, time: ctx.time });
  }

  const line: LinePoint['fields'] = {};
  for (const [key, value] of entries) {
    if (CONNECTION_KEYS.has(key) || value === undefined || value === null) continue;
    if (LINE_STRING_KEYS.has(key)) {
      if (typeof value === 'string' && value !== '') line[key] = value;
      else skipped.push({ key, reason: `expected a string, got ${typeof value}` });
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) skipped.push({ key, reason: 'not a finite number' });
      else if (isIntegerMetric(key)) {
        if (Number.isInteger(value)) line[key] = BigInt(value);
        else skipped.push({ key, reason: `integer metric has a fractional value ${value}` });
      } else line[key] = value;
    } else if (typeof value === 'bigint') {
      if (isIntegerMetric(key)) line[key] = value;
      else skipped.push({ key, reason: 'float metric given as bigint' });
    } else skipped.push({ key, reason: `unexpected ${typeof value}` });
  }
  if (Object.keys(line).length > 0) points.push({ measurement: 'adsl_line', tags, fields: line, time: ctx.time });
  return { points, skipped };
}

export interface PollOutcome {
  durationMs: number;
  success: boolean;
  errorClass: PollErrorClass;
}

/** The `adsl_poll` point every poll writes, success or not. */
export function pollPoint(ctx: PointContext, outcome: PollOutcome): LinePoint {
  return {
    measurement: 'adsl_poll',
    tags: { ...ctx.tags, host: ctx.host },
    fields: { duration_ms: outcome.durationMs, success: outcome.success, error_class: outcome.errorClass },
    time: ctx.time,
  };
}
