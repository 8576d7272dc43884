import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './errors.js';
import { validatePollConfig } from './validate.js';
import type { PollConfig } from './types.js';

export interface LoadConfigOptions {
  env?: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => string;
  homeDir?: string;
}

/** Reads a YAML or JSON poll config (JSON is YAML, so one parser serves both) and validates it. */
export function loadPollConfig(file: string, opts: LoadConfigOptions = {}): PollConfig {
  const readFile = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const full = resolve(file);
  let text: string;
  try {
    text = readFile(full);
  } catch (err) {
    throw new ConfigError(
      [{ path: '', message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'})` }],
      { file, cause: err },
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    // The YAML error quotes the offending line, which could hold an inline password: keep
    // only its position, and do not attach it as the cause.
    const pos = (err as { linePos?: [{ line: number; col: number }] }).linePos?.[0];
    const where = pos !== undefined ? ` at line ${pos.line}, column ${pos.col}` : '';
    throw new ConfigError([{ path: '', message: `not valid YAML or JSON${where}` }], { file });
  }
  return validatePollConfig(raw, {
    env: opts.env ?? process.env,
    readFile,
    baseDir: dirname(full),
    homeDir: opts.homeDir ?? homedir(),
    file,
  });
}
