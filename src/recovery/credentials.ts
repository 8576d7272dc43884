import { readFileSync } from 'node:fs';
import { RecoveryError } from './errors.js';

export interface KapacitorCredentials {
  username: string;
  password: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** `NAME`, else the trimmed contents of the file named by `NAME_FILE` (the Docker secrets convention). */
function variable(env: Env, name: string): string | undefined {
  const plain = env[name];
  if (plain !== undefined && plain !== '') return plain;
  const path = env[`${name}_FILE`];
  if (path === undefined || path === '') return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new RecoveryError(
      'KUDF_RECOVERY_CREDENTIALS',
      `${name}_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      { cause: err },
    );
  }
  const value = text.trim();
  if (value === '') throw new RecoveryError('KUDF_RECOVERY_CREDENTIALS', `${name}_FILE: ${path} is empty`);
  return value;
}

/**
 * Kapacitor's basic-auth user from KAPACITOR_USERNAME and KAPACITOR_PASSWORD (or their
 * `*_FILE` variants); undefined when neither is set (Kapacitor with `auth-enabled = false`).
 */
export function kapacitorCredentials(env: Env): KapacitorCredentials | undefined {
  const username = variable(env, 'KAPACITOR_USERNAME');
  const password = variable(env, 'KAPACITOR_PASSWORD');
  if (username === undefined && password === undefined) return undefined;
  if (username === undefined || password === undefined) {
    throw new RecoveryError(
      'KUDF_RECOVERY_CREDENTIALS',
      `set both KAPACITOR_USERNAME and KAPACITOR_PASSWORD (or their _FILE variants), not only ${username === undefined ? 'the password' : 'the user name'}`,
    );
  }
  return { username, password };
}
