/**
 * TICKscript duration literals: an integer and one unit (`10s`, `500ms`, `1h`, `2d`, `1w`,
 * `5u`/`5µs`), shared by `kudf check` and the probe's `--opt` values. The CLI's own flags use
 * `src/config-grammar`.
 */

const UNIT_NS: Readonly<Record<string, bigint>> = {
  u: 1_000n,
  us: 1_000n,
  µ: 1_000n,
  µs: 1_000n,
  μ: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};

/** Units tried from the largest down when printing, so 90s prints as `90s` and 3600s as `1h`. */
const PRINT_UNITS: ReadonlyArray<[string, bigint]> = [
  ['w', 604_800_000_000_000n],
  ['d', 86_400_000_000_000n],
  ['h', 3_600_000_000_000n],
  ['m', 60_000_000_000n],
  ['s', 1_000_000_000n],
  ['ms', 1_000_000n],
  ['u', 1_000n],
];

/** Thrown for text that is not a duration literal. */
export class DurationError extends RangeError {
  override readonly name = 'DurationError';
  readonly code = 'KUDF_TICK_BAD_DURATION';
}

/** True when `unit` is a TICKscript duration unit. */
export function isDurationUnit(unit: string): boolean {
  return Object.hasOwn(UNIT_NS, unit);
}

/** Nanoseconds of a duration literal, with an optional leading minus sign. */
export function parseDuration(text: string): bigint {
  const m = /^(-?)(\d+)(\D+)$/.exec(text.trim());
  const factor = m === null ? undefined : UNIT_NS[m[3] as string];
  if (m === null || factor === undefined) throw new DurationError(`'${text}' is not a duration (e.g. 10s, 500ms, 1h)`);
  const ns = BigInt(m[2] as string) * factor;
  return m[1] === '-' ? -ns : ns;
}

/** A duration in the largest unit that divides it exactly (`1s`, `90s`, `1h`); sub-microsecond values as `0u`-free ns are not expressible and print in µs rounded down. */
export function formatDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  const abs = ns < 0n ? -ns : ns;
  for (const [unit, size] of PRINT_UNITS) if (abs % size === 0n) return `${sign}${abs / size}${unit}`;
  return `${sign}${abs / 1_000n}u`;
}
