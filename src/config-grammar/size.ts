import { GrammarError, shown } from './errors.js';

/**
 * Sizes in bytes: a bare number is bytes (`512`); `KiB`, `MiB`, `GiB`, `TiB` are powers of 1024
 * (`64KiB` = 65,536); `kB`, `MB`, `GB`, `TB` are powers of 1000, as SI has them (`1MB` = 1,000,000);
 * `B` is bytes. Units are case-insensitive; a single letter (`64M`) is refused, since it could
 * mean either. Decimals are allowed when the result is a whole number of bytes (`1.5KiB`).
 */

const UNIT_BYTES: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  tb: 1000 ** 4,
};
const SIZE = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

export interface SizeRule {
  min?: number;
  max?: number;
}

export const SIZE_HINT = 'a size such as 512, 64KiB, 64MiB or 1GiB (a bare number is bytes; kB, MB, GB are 1000-based)';

/** Bytes of a size; throws {@link GrammarError} naming what is accepted. */
export function parseSizeBytes(value: string | number, rule: SizeRule = {}): number {
  let bytes: number | undefined;
  if (typeof value === 'number') bytes = value;
  else {
    const m = SIZE.exec(value);
    const factor = m === null ? undefined : UNIT_BYTES[(m[2] as string).toLowerCase()];
    if (m !== null && factor !== undefined) bytes = Number(m[1]) * factor;
  }
  if (bytes === undefined || !Number.isFinite(bytes) || bytes < 0)
    throw new GrammarError(`expected ${SIZE_HINT}, got ${shown(value)}`);
  if (!Number.isSafeInteger(bytes)) throw new GrammarError(`must be a whole number of bytes, got ${shown(value)}`);
  if (rule.min !== undefined && bytes < rule.min)
    throw new GrammarError(`must be at least ${formatSizeBytes(rule.min)}, got ${shown(value)}`);
  if (rule.max !== undefined && bytes > rule.max)
    throw new GrammarError(`must be at most ${formatSizeBytes(rule.max)}, got ${shown(value)}`);
  return bytes;
}

/** A size as a user would write it: the largest binary unit that divides it (`64MiB`), else bytes. */
export function formatSizeBytes(bytes: number): string {
  if (bytes !== 0) {
    for (const unit of ['TiB', 'GiB', 'MiB', 'KiB']) {
      const size = UNIT_BYTES[unit.toLowerCase()]!;
      if (bytes % size === 0) return `${bytes / size}${unit}`;
    }
  }
  return String(bytes);
}
