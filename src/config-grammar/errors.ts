/**
 * A value that does not fit its grammar. The message says what was given and what is accepted,
 * but not where: the caller knows the place (a flag, an environment variable, a config key) and
 * prefixes it.
 */
export class GrammarError extends RangeError {
  override readonly name = 'GrammarError';
  /** A value the user gave: exit 2 when it reaches the CLI's handler without a place. */
  readonly code = 'KUDF_USAGE';
}

/** How a value is quoted in a message: strings in double quotes, numbers as they are. */
export function shown(value: string | number): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}
