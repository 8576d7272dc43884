import { GrammarError, shown } from './errors.js';

/**
 * Durations as users write them: a number and a unit, `500ms`, `10s`, `5m`, `1h`, `1d`, or
 * several from the largest unit down, `1m30s`, `1h15m`. Decimals are allowed (`1.5s`); the result
 * is rounded to whole milliseconds. A bare number (`30`, or a YAML number) has the unit of its
 * place, {@link DurationRule.bare}: the command line and the environment take milliseconds, as
 * their flags always have; poll.yaml takes seconds.
 */

const UNIT_MS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
/** Units largest first: a compound duration must use them in this order, each once. */
const ORDER = ['d', 'h', 'm', 's', 'ms'];
/** One `<number><unit>` part; `ms` is tried before `m` so that `5ms` is not 5 minutes and an `s`. */
const PART = /\s*(\d+(?:\.\d+)?)\s*(ms|d|h|m|s)/y;
const BARE = /^\s*(\d+(?:\.\d+)?)\s*$/;

export interface DurationRule {
  /** What a number without a unit means at this place. */
  bare: 'ms' | 's';
  minMs?: number;
  maxMs?: number;
}

/** What a message says is accepted at a place with this rule. */
export function durationHint(rule: DurationRule): string {
  const bare = rule.bare === 'ms' ? 'milliseconds' : 'seconds';
  return `a duration such as 500ms, 10s, 5m, 1h or 1m30s (a bare number is ${bare})`;
}

/** Milliseconds of a duration; throws {@link GrammarError} naming what is accepted. */
export function parseDurationMs(value: string | number, rule: DurationRule): number {
  const ms = typeof value === 'number' ? fromNumber(value, rule) : fromText(value, rule);
  if (ms === undefined || !Number.isSafeInteger(ms))
    throw new GrammarError(`expected ${durationHint(rule)}, got ${shown(value)}`);
  if (rule.minMs !== undefined && ms < rule.minMs)
    throw new GrammarError(`must be at least ${formatDurationMs(rule.minMs)}, got ${shown(value)}`);
  if (rule.maxMs !== undefined && ms > rule.maxMs)
    throw new GrammarError(`must be at most ${formatDurationMs(rule.maxMs)}, got ${shown(value)}`);
  return ms;
}

function fromNumber(n: number, rule: DurationRule): number | undefined {
  if (!Number.isFinite(n) || n < 0) return undefined;
  return Math.round(n * UNIT_MS[rule.bare]!);
}

function fromText(text: string, rule: DurationRule): number | undefined {
  const bare = BARE.exec(text);
  if (bare !== null) return fromNumber(Number(bare[1]), rule);
  let total = 0;
  let last = -1;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const m = PART.exec(text);
    if (m === null) return text.slice(at).trim() === '' && last >= 0 ? Math.round(total) : undefined;
    const unit = m[2] as string;
    const rank = ORDER.indexOf(unit);
    if (rank <= last) return undefined;
    last = rank;
    total += Number(m[1]) * UNIT_MS[unit]!;
  }
  return last >= 0 ? Math.round(total) : undefined;
}

/** A duration as a user would write it: `10s`, `1m30s`, `250ms`, `0s`. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s';
  let rest = Math.round(ms);
  let out = '';
  for (const unit of ['h', 'm', 's', 'ms']) {
    const size = UNIT_MS[unit]!;
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
