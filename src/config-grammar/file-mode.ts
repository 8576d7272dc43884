import { GrammarError, shown } from './errors.js';

/**
 * File modes are octal, always, as chmod takes them: `666`, `0666` and `0o666` are all rw-rw-rw-;
 * four digits carry the setuid/setgid/sticky bits (`1777`). A YAML number `666` is read by its
 * digits, so it is octal too.
 */

const MODE = /^(?:0o)?([0-7]{3,4})$/i;

export const FILE_MODE_HINT = 'an octal file mode such as 666, 0660 or 0o755';

/** The mode bits of an octal mode; throws {@link GrammarError} naming what is accepted. */
export function parseFileMode(value: string | number): number {
  const m = MODE.exec(String(value).trim());
  if (m === null) throw new GrammarError(`expected ${FILE_MODE_HINT}, got ${shown(value)}`);
  return parseInt(m[1] as string, 8);
}

/** A mode as a user would write it: `666`, `755`, `1777`. */
export function formatFileMode(mode: number): string {
  return mode.toString(8).padStart(3, '0');
}
