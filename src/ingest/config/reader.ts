import { durationHint, parseDurationMs } from '../../config-grammar/index.js';
import type { ConfigIssue } from './errors.js';

/**
 * Walks untyped config data while remembering where it is, so every issue names its key
 * (`routers[2].auth.password`). Readers return `undefined` after recording an issue; the
 * loader throws once at the end with every issue.
 */
export class ConfigReader {
  constructor(
    readonly value: unknown,
    readonly path: string,
    private readonly issues: ConfigIssue[],
  ) {}

  issue(message: string, key?: string): undefined {
    this.issues.push({ path: key === undefined ? this.path : this.childPath(key), message });
    return undefined;
  }

  childPath(key: string | number): string {
    if (typeof key === 'number') return `${this.path}[${key}]`;
    return this.path === '' ? key : `${this.path}.${key}`;
  }

  isObject(): boolean {
    return typeof this.value === 'object' && this.value !== null && !Array.isArray(this.value);
  }

  /** The object's own keys, or an issue when the value is not a mapping. */
  keys(): string[] | undefined {
    if (!this.isObject()) return this.issue('must be a mapping');
    return Object.keys(this.value as object);
  }

  has(key: string): boolean {
    return this.isObject() && (this.value as Record<string, unknown>)[key] !== undefined;
  }

  child(key: string | number): ConfigReader {
    let v: unknown;
    if (typeof key === 'number') v = Array.isArray(this.value) ? (this.value as unknown[])[key] : undefined;
    else v = this.isObject() ? (this.value as Record<string, unknown>)[key] : undefined;
    return new ConfigReader(v, this.childPath(key), this.issues);
  }

  rejectUnknown(allowed: readonly string[]): void {
    for (const k of this.keys() ?? []) {
      if (!allowed.includes(k)) this.issue(`unknown key (allowed: ${allowed.join(', ')})`, k);
    }
  }

  string(opts: { nonEmpty?: boolean } = {}): string | undefined {
    if (typeof this.value !== 'string') return this.issue('must be a string');
    if (opts.nonEmpty === true && this.value.trim() === '') return this.issue('must not be empty');
    return this.value;
  }

  integer(min: number, max: number): number | undefined {
    if (typeof this.value !== 'number' || !Number.isInteger(this.value)) return this.issue('must be an integer');
    if (this.value < min || this.value > max) return this.issue(`must be between ${min} and ${max}`);
    return this.value;
  }

  number(min: number, max: number): number | undefined {
    if (typeof this.value !== 'number' || !Number.isFinite(this.value)) return this.issue('must be a number');
    if (this.value < min || this.value > max) return this.issue(`must be between ${min} and ${max}`);
    return this.value;
  }

  boolean(): boolean | undefined {
    if (typeof this.value !== 'boolean') return this.issue('must be true or false');
    return this.value;
  }

  /** A duration in the shared grammar (`1500ms`, `30s`, `5m`, `1m30s`); a bare number is seconds. */
  durationMs(minMs: number): number | undefined {
    if (typeof this.value !== 'number' && typeof this.value !== 'string')
      return this.issue(`must be ${durationHint({ bare: 's' })}`);
    try {
      return parseDurationMs(this.value, { bare: 's', minMs });
    } catch (err) {
      return this.issue((err as Error).message);
    }
  }

  stringList(): string[] | undefined {
    if (!Array.isArray(this.value)) return this.issue('must be a list of strings');
    const out: string[] = [];
    this.value.forEach((_, i) => {
      const s = this.child(i).string();
      if (s !== undefined) out.push(s);
    });
    return out;
  }

  regex(): RegExp | undefined {
    const s = this.string({ nonEmpty: true });
    if (s === undefined) return undefined;
    try {
      return new RegExp(s);
    } catch (err) {
      return this.issue(`is not a valid regular expression (${(err as Error).message})`);
    }
  }
}
