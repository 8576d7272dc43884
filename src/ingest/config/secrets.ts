import type { ConfigReader } from './reader.js';

export interface SecretSources {
  env: Readonly<Record<string, string | undefined>>;
  readFile: (path: string) => string;
  resolvePath: (path: string) => string;
}

/**
 * Reads one secret given as `<key>` (inline), `<key>Env` (an environment variable; when that
 * is unset, `<NAME>_FILE` is tried, the Docker secrets convention) or `<key>File` (a path).
 * Issues name the key but never contain the secret.
 */
export function readSecret(
  auth: ConfigReader,
  key: string,
  sources: SecretSources,
  opts: { trimFile: boolean },
): string | undefined {
  const given = [key, `${key}Env`, `${key}File`].filter((k) => auth.has(k));
  if (given.length === 0) return undefined;
  if (given.length > 1) return auth.issue(`give only one of ${given.join(', ')}`, key);
  const which = given[0] as string;
  const r = auth.child(which);
  const raw = r.string({ nonEmpty: true });
  if (raw === undefined) return undefined;
  if (which === key) return raw;
  if (which === `${key}Env`) {
    const direct = sources.env[raw];
    if (direct !== undefined && direct !== '') return direct;
    const fileVar = sources.env[`${raw}_FILE`];
    if (fileVar !== undefined && fileVar !== '') return readSecretFile(r, fileVar, sources, opts);
    return r.issue(`environment variable ${raw} (or ${raw}_FILE) is not set`);
  }
  return readSecretFile(r, raw, sources, opts);
}

function readSecretFile(
  r: ConfigReader,
  path: string,
  sources: SecretSources,
  opts: { trimFile: boolean },
): string | undefined {
  const full = sources.resolvePath(path);
  let text: string;
  try {
    text = sources.readFile(full);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return r.issue(`cannot read ${full} (${code})`);
  }
  // Secret files usually end with the newline an editor or `echo` added; it is not part of a password.
  const value = opts.trimFile ? text.replace(/\r?\n$/, '') : text;
  if (value === '') return r.issue(`${full} is empty`);
  return value;
}
