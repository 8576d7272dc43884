/** Small, strict number readers: anything that is not plainly a number yields `undefined`. */

const DECIMAL = /^[-+]?(?:\d+(?:\.\d*)?|\.\d+)$/;

/** A decimal number, or `undefined` for `N/A`, `----`, empty text and the like. */
export function toNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (!DECIMAL.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** The first decimal number inside `text` (units and labels around it are ignored). */
export function firstNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const m = /[-+]?(?:\d+(?:\.\d+)?|\.\d+)/.exec(text);
  return m ? toNumber(m[0]) : undefined;
}

/** Every decimal number inside `text`, in order; a unit may follow directly (`15.5dBm`). */
export function allNumbers(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/(?<![\w.])[-+]?\d+(?:\.\d+)?(?![\d.])/g)) {
    const n = toNumber(m[0]);
    if (n !== undefined) out.push(n);
  }
  return out;
}

/** Sum of the values that are present; `undefined` when none is. */
export function sumPresent(...values: (number | undefined)[]): number | undefined {
  let total: number | undefined;
  for (const v of values) if (v !== undefined) total = (total ?? 0) + v;
  return total;
}

const RATE_FACTORS: Readonly<Record<string, number>> = {
  b: 0.001,
  bps: 0.001,
  'b/s': 0.001,
  k: 1,
  kb: 1,
  kbps: 1,
  'kb/s': 1,
  'kbit/s': 1,
  m: 1000,
  mb: 1000,
  mbps: 1000,
  'mb/s': 1000,
  'mbit/s': 1000,
};

/** A rate in the given unit (`bps`, `Kb/s`, `Mb/s`, ...) converted to whole kbps. */
export function toKbps(value: number | undefined, unit: string): number | undefined {
  if (value === undefined) return undefined;
  const factor = RATE_FACTORS[unit.trim().toLowerCase()];
  return factor === undefined ? undefined : Math.round(value * factor);
}

const DURATION_PART =
  /(\d+)\s*(?:days?|d)\b|(\d+):(\d{1,2})(?::(\d{1,2}))?|(\d+)\s*(?:hours?|hrs?|h)\b|(\d+)\s*(?:minutes?|mins?|m)\b|(\d+)\s*(?:seconds?|secs?|s)\b/gi;

/**
 * Seconds in a printed duration: `2 days 39 min 7 sec`, `0h 2m 24s`, `1:55, 5 secs`
 * (TrendChip `h:mm, s secs`), `24 hours 0 sec`. `undefined` when no part is recognised.
 */
export function parseDurationSeconds(text: string): number | undefined {
  let total = 0;
  let found = false;
  for (const m of text.matchAll(DURATION_PART)) {
    found = true;
    const n = (i: number): number => Number(m[i] ?? 0);
    if (m[1] !== undefined) total += n(1) * 86400;
    else if (m[2] !== undefined) total += n(2) * 3600 + n(3) * 60 + n(4);
    else if (m[5] !== undefined) total += n(5) * 3600;
    else if (m[6] !== undefined) total += n(6) * 60;
    else total += n(7);
  }
  return found ? total : undefined;
}
