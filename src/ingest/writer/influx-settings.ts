/**
 * Where ingested points go and how they get there, resolved from command-line flags, the
 * environment and an optional `.env` file.
 *
 * Precedence, highest first: a flag; the config file's `influx` section (poll.yaml); the process
 * environment; the `.env` file. Within one
 * environment source a plain variable (`INFLUXDB_PASSWORD`) wins over its `*_FILE` variant
 * (`INFLUXDB_PASSWORD_FILE`, whose file contents are used with surrounding whitespace
 * trimmed). A `*_FILE` in the process environment still beats a plain variable in `.env`:
 * each source is resolved on its own, then the sources are layered.
 *
 * Which API is used:
 * - `--influx-api v1|v2|stdout` decides when given;
 * - otherwise a bucket (`INFLUX_BUCKET`, `--influx-bucket`) selects v2 (`/api/v2/write` through
 *   `@influxdata/influxdb-client`: InfluxDB 2.x, 3.x, and 1.8+ with bucket `db/rp` and token
 *   `user:password`), a database (`INFLUXDB_DATABASE`, `--influx-db`) selects v1 (`/write`, any
 *   InfluxDB 1.x), both at once is an error, neither means line protocol on stdout.
 *
 * Durations and sizes follow the shared grammar (`src/config-grammar`): `--influx-timeout 10s`,
 * `--queue-max-bytes 256MiB`; a bare number is milliseconds or bytes, as these flags always took,
 * also in the config file's `influx` section.
 *
 * Errors are {@link InfluxSettingsError}s naming the offending key where the user wrote it
 * (`--influx-batch-size`, `INFLUXDB_PORT`, `.env:INFLUX_URL`, `poll.yaml: influx.timeout`, ...)
 * and never the value of a secret.
 */
import { readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { parseDurationMs, parseSizeBytes } from '../../config-grammar/index.js';

export type Precision = 'ns' | 'us' | 'ms' | 's';
export const PRECISIONS: readonly Precision[] = ['ns', 'us', 'ms', 's'];

export interface V2Target {
  kind: 'v2';
  url: string;
  /** `user:password` for InfluxDB 1.8; absent for servers without auth (VictoriaMetrics). */
  token: string | undefined;
  /** Ignored by InfluxDB 1.8 and VictoriaMetrics; required by 2.x. */
  org: string;
  bucket: string;
}

export interface V1Target {
  kind: 'v1';
  /** Without credentials: credentials given inside the URL are moved to `username`/`password`. */
  url: string;
  database: string;
  retentionPolicy: string | undefined;
  username: string | undefined;
  password: string | undefined;
  /** Send `CREATE DATABASE` (idempotent in 1.x) on first connect and when the server says the database is missing. */
  createDatabase: boolean;
}

export interface StdoutTarget {
  kind: 'stdout';
}

export type InfluxTarget = V1Target | V2Target | StdoutTarget;

export interface WriterTuning {
  /** Timestamp precision on the wire; points are stamped and queued in nanoseconds and truncated when sent. */
  precision: Precision;
  gzip: boolean;
  /** TLS certificate verification; on unless explicitly turned off. */
  tlsRejectUnauthorized: boolean;
  /** Extra CA certificate (PEM file) to trust. */
  caFile: string | undefined;
  /** Lines per request (at most). */
  batchSize: number;
  /** How long a point may wait for a batch to fill before it is sent. */
  flushIntervalMs: number;
  /** Per-request timeout. */
  timeoutMs: number;
  /** Bound of the on-disk queue; beyond it the oldest lines are dropped (and counted). */
  queueMaxBytes: number;
  /** Size at which the dead-letter file is rotated (3 rotated files are kept). */
  deadLetterMaxBytes: number;
  retryMinDelayMs: number;
  retryMaxDelayMs: number;
  /** Cap on a server's Retry-After. */
  retryAfterMaxMs: number;
}

export interface InfluxSettings {
  target: InfluxTarget;
  tuning: WriterTuning;
  /** Queue directory from `--queue-dir`; `createWriter` falls back to its own default. */
  queueDir: string | undefined;
}

/** Options as a command-line parser hands them over (`--influx-url` -> `influxUrl`); every key is optional. */
export interface InfluxFlags {
  influxApi?: unknown;
  influxUrl?: unknown;
  influxToken?: unknown;
  influxOrg?: unknown;
  influxBucket?: unknown;
  influxDb?: unknown;
  influxRp?: unknown;
  influxUser?: unknown;
  influxPassword?: unknown;
  influxCreateDb?: unknown;
  influxPrecision?: unknown;
  influxGzip?: unknown;
  influxInsecureSkipVerify?: unknown;
  influxCaFile?: unknown;
  influxBatchSize?: unknown;
  influxFlushInterval?: unknown;
  influxTimeout?: unknown;
  queueDir?: unknown;
  queueMaxBytes?: unknown;
  deadLetterMaxBytes?: unknown;
  retryMinDelay?: unknown;
  retryMaxDelay?: unknown;
  retryAfterMax?: unknown;
}

/**
 * Writer settings from a config file: poll.yaml's `influx` section (keys named like the flags,
 * `batchSize` = `--influx-batch-size`) and its `queueDir`. They rank between the flags and the
 * environment, and errors name them by file and key.
 */
export interface InfluxConfigLayer {
  /** The file as the user named it. */
  file: string;
  influx?: Readonly<Record<string, unknown>> | undefined;
  queueDir?: string | undefined;
}

/** Flags whose config key is their own name rather than `influx.<name without the prefix>`. */
const UNPREFIXED = new Set(['queueMaxBytes', 'deadLetterMaxBytes', 'retryMinDelay', 'retryMaxDelay', 'retryAfterMax']);

/** The `influx` key of a flag (`influxBatchSize` -> `batchSize`). */
function configKey(flag: keyof InfluxFlags): string {
  if (UNPREFIXED.has(flag)) return flag;
  const bare = flag.replace(/^influx/, '');
  return `${bare.charAt(0).toLowerCase()}${bare.slice(1)}`;
}

export const DEFAULT_TUNING: Readonly<WriterTuning> = {
  precision: 'ns',
  gzip: true,
  tlsRejectUnauthorized: true,
  caFile: undefined,
  batchSize: 1000,
  flushIntervalMs: 1000,
  timeoutMs: 10_000,
  queueMaxBytes: 256 * 1024 * 1024,
  deadLetterMaxBytes: 64 * 1024 * 1024,
  retryMinDelayMs: 1000,
  retryMaxDelayMs: 60_000,
  retryAfterMaxMs: 60_000,
};

export type InfluxSettingsErrorCode =
  /** A required setting is absent. */
  | 'KUDF_INFLUX_SETTING_MISSING'
  /** A setting has a value that cannot be used. */
  | 'KUDF_INFLUX_SETTING_INVALID'
  /** A `*_FILE` variable or the `.env` file cannot be read. */
  | 'KUDF_INFLUX_SETTING_UNREADABLE'
  /** Settings that contradict each other (bucket and database without `--influx-api`). */
  | 'KUDF_INFLUX_SETTING_CONFLICT';

export class InfluxSettingsError extends Error {
  override readonly name = 'InfluxSettingsError';
  readonly code: InfluxSettingsErrorCode;
  /** The flag or variable at fault, as the user would type it. */
  readonly key: string;

  constructor(code: InfluxSettingsErrorCode, key: string, message: string, options?: { cause?: unknown }) {
    super(`${key}: ${message}`, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    this.key = key;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

interface Found {
  value: string;
  key: string;
}

/** Names of the variables that hold secrets: their values never appear in errors. */
const SECRET_VARS = new Set(['INFLUX_TOKEN', 'INFLUXDB_PASSWORD']);

class Sources {
  private readonly dotenv: Env;
  constructor(
    private readonly flags: InfluxFlags,
    private readonly env: Env,
    dotenvPath: string | undefined,
    private readonly config: InfluxConfigLayer | undefined,
  ) {
    this.dotenv = dotenvPath === undefined ? {} : readDotenv(dotenvPath);
  }

  /** A flag given explicitly, else the config file's key for it. */
  flag(name: keyof InfluxFlags, flagName: string): Found | undefined {
    const given = scalar(this.flags[name], flagName);
    if (given !== undefined || this.config === undefined) return given;
    if (name === 'queueDir') return scalar(this.config.queueDir, `${this.config.file}: queueDir`);
    const key = configKey(name);
    return scalar(this.config.influx?.[key], `${this.config.file}: influx.${key}`);
  }

  /** One variable across the process environment and `.env`, each with its `*_FILE` variant. */
  variable(name: string): Found | undefined {
    return fromEnv(this.env, name, '') ?? fromEnv(this.dotenv, name, '.env:');
  }

  /** A flag, then a variable. */
  get(flag: keyof InfluxFlags, flagName: string, variable?: string): Found | undefined {
    return this.flag(flag, flagName) ?? (variable !== undefined ? this.variable(variable) : undefined);
  }
}

function scalar(v: unknown, key: string): Found | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean' || typeof v === 'number') return { value: String(v), key };
  if (typeof v !== 'string') throw new InfluxSettingsError('KUDF_INFLUX_SETTING_INVALID', key, 'must be a string');
  return { value: v, key };
}

function fromEnv(env: Env, name: string, prefix: string): Found | undefined {
  const plain = env[name];
  if (plain !== undefined && plain !== '') return { value: plain, key: `${prefix}${name}` };
  const fileVar = `${name}_FILE`;
  const path = env[fileVar];
  if (path === undefined || path === '') return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new InfluxSettingsError(
      'KUDF_INFLUX_SETTING_UNREADABLE',
      `${prefix}${fileVar}`,
      `cannot read ${path} (${code})`,
      { cause: err },
    );
  }
  const value = text.trim();
  if (value === '')
    throw new InfluxSettingsError('KUDF_INFLUX_SETTING_INVALID', `${prefix}${fileVar}`, `${path} is empty`);
  return { value, key: `${prefix}${fileVar}` };
}

function readDotenv(path: string): Env {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new InfluxSettingsError('KUDF_INFLUX_SETTING_UNREADABLE', path, `cannot read the .env file (${code})`, {
      cause: err,
    });
  }
  return parseEnv(text);
}

function show(found: Found): string {
  const bare = found.key.replace(/^\.env:/, '').replace(/_FILE$/, '');
  return SECRET_VARS.has(bare) || /token|password/i.test(found.key) ? '(secret)' : JSON.stringify(found.value);
}

function positiveInt(found: Found | undefined, fallback: number, opts: { min?: number; max?: number } = {}): number {
  if (found === undefined) return fallback;
  const min = opts.min ?? 1;
  const max = opts.max ?? Number.MAX_SAFE_INTEGER;
  const n = /^\d+$/.test(found.value.trim()) ? Number(found.value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new InfluxSettingsError(
      'KUDF_INFLUX_SETTING_INVALID',
      found.key,
      `must be an integer from ${min} to ${max}, got ${show(found)}`,
    );
  }
  return n;
}

/** A duration in milliseconds (`10s`, `500ms`; a bare number is milliseconds). */
function durationMs(found: Found | undefined, fallback: number): number {
  if (found === undefined) return fallback;
  try {
    return parseDurationMs(found.value, { bare: 'ms', minMs: 1 });
  } catch (err) {
    throw new InfluxSettingsError('KUDF_INFLUX_SETTING_INVALID', found.key, (err as Error).message);
  }
}

/** A size in bytes (`256MiB`; a bare number is bytes), at least 1 KiB. */
function sizeBytes(found: Found | undefined, fallback: number): number {
  if (found === undefined) return fallback;
  try {
    return parseSizeBytes(found.value, { min: 1024 });
  } catch (err) {
    throw new InfluxSettingsError('KUDF_INFLUX_SETTING_INVALID', found.key, (err as Error).message);
  }
}

function bool(found: Found | undefined, fallback: boolean): boolean {
  if (found === undefined) return fallback;
  const v = found.value.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new InfluxSettingsError('KUDF_INFLUX_SETTING_INVALID', found.key, `must be true or false, got ${show(found)}`);
}

function httpUrl(found: Found): URL {
  let u: URL;
  try {
    u = new URL(found.value);
  } catch (err) {
    throw new InfluxSettingsError('KUDF_INFLUX_SETTING_INVALID', found.key, 'is not a URL', { cause: err });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new InfluxSettingsError(
      'KUDF_INFLUX_SETTING_INVALID',
      found.key,
      `must be an http:// or https:// URL, got ${u.protocol}`,
    );
  }
  return u;
}

/** `INFLUXDB_HOST` (a host name, or a URL with scheme) with `INFLUXDB_PORT` (default 8086). */
function urlFromHostPort(src: Sources): Found | undefined {
  const host = src.variable('INFLUXDB_HOST');
  if (host === undefined) return undefined;
  const port = positiveInt(src.variable('INFLUXDB_PORT'), 8086, { max: 65535 });
  const withScheme = /^[a-z]+:\/\//i.test(host.value) ? host.value : `http://${host.value}`;
  const u = httpUrl({ value: withScheme, key: host.key });
  u.port = String(port);
  return { value: u.toString().replace(/\/$/, ''), key: host.key };
}

/**
 * Resolves writer settings. `env` is usually `process.env`; `dotenvPath`, when given, must
 * name a readable file; `config` is the config file's writer section, when there is one.
 * Throws {@link InfluxSettingsError}.
 */
export function resolveInfluxSettings(
  flags: InfluxFlags,
  env: Env,
  dotenvPath?: string,
  config?: InfluxConfigLayer,
): InfluxSettings {
  const src = new Sources(flags, env, dotenvPath, config);
  const tuning = resolveTuning(src);
  const queueDirFound = src.flag('queueDir', '--queue-dir');
  const queueDir = queueDirFound?.value;

  const apiFound = src.flag('influxApi', '--influx-api');
  const bucket = src.get('influxBucket', '--influx-bucket', 'INFLUX_BUCKET');
  const database = src.get('influxDb', '--influx-db', 'INFLUXDB_DATABASE');
  let api: 'v1' | 'v2' | 'stdout';
  if (apiFound !== undefined) {
    if (apiFound.value !== 'v1' && apiFound.value !== 'v2' && apiFound.value !== 'stdout') {
      throw new InfluxSettingsError(
        'KUDF_INFLUX_SETTING_INVALID',
        apiFound.key,
        `must be v1, v2 or stdout, got ${show(apiFound)}`,
      );
    }
    api = apiFound.value;
  } else if (bucket !== undefined && database !== undefined) {
    throw new InfluxSettingsError(
      'KUDF_INFLUX_SETTING_CONFLICT',
      '--influx-api',
      `both a bucket (${bucket.key}) and a database (${database.key}) are set; choose v1 or v2`,
    );
  } else if (bucket !== undefined) api = 'v2';
  else if (database !== undefined) api = 'v1';
  else {
    const url = src.get('influxUrl', '--influx-url', 'INFLUX_URL') ?? urlFromHostPort(src);
    if (url !== undefined) {
      throw new InfluxSettingsError(
        'KUDF_INFLUX_SETTING_MISSING',
        'INFLUX_BUCKET',
        `${url.key} is set but neither a bucket (INFLUX_BUCKET, --influx-bucket) nor a database (INFLUXDB_DATABASE, --influx-db) is`,
      );
    }
    api = 'stdout';
  }

  if (api === 'stdout') return { target: { kind: 'stdout' }, tuning, queueDir };
  if (api === 'v2') return { target: resolveV2(src, bucket), tuning, queueDir };
  return { target: resolveV1(src, database), tuning, queueDir };
}

function resolveV2(src: Sources, bucket: Found | undefined): V2Target {
  if (bucket === undefined)
    throw new InfluxSettingsError(
      'KUDF_INFLUX_SETTING_MISSING',
      'INFLUX_BUCKET',
      'a bucket is required for the v2 API (or --influx-bucket)',
    );
  const url = src.get('influxUrl', '--influx-url', 'INFLUX_URL') ?? urlFromHostPort(src);
  if (url === undefined)
    throw new InfluxSettingsError(
      'KUDF_INFLUX_SETTING_MISSING',
      'INFLUX_URL',
      'the server URL is required (or --influx-url)',
    );
  const u = httpUrl(url);
  if (u.username !== '' || u.password !== '') {
    throw new InfluxSettingsError(
      'KUDF_INFLUX_SETTING_INVALID',
      url.key,
      'must not contain credentials; give a token (INFLUX_TOKEN, user:password for InfluxDB 1.8)',
    );
  }
  return {
    kind: 'v2',
    url: u.toString().replace(/\/$/, ''),
    token: src.get('influxToken', '--influx-token', 'INFLUX_TOKEN')?.value,
    org: src.get('influxOrg', '--influx-org', 'INFLUX_ORG')?.value ?? '',
    bucket: bucket.value,
  };
}

function resolveV1(src: Sources, database: Found | undefined): V1Target {
  if (database === undefined)
    throw new InfluxSettingsError(
      'KUDF_INFLUX_SETTING_MISSING',
      'INFLUXDB_DATABASE',
      'a database is required for the v1 API (or --influx-db)',
    );
  const url = src.flag('influxUrl', '--influx-url') ?? urlFromHostPort(src) ?? src.variable('INFLUX_URL');
  if (url === undefined) {
    throw new InfluxSettingsError(
      'KUDF_INFLUX_SETTING_MISSING',
      'INFLUXDB_HOST',
      'the server is required (INFLUXDB_HOST and INFLUXDB_PORT, INFLUX_URL or --influx-url)',
    );
  }
  const u = httpUrl(url);
  // Credentials inside the URL are lifted out so that the URL can be logged as it is.
  const urlUser = u.username !== '' ? decodeURIComponent(u.username) : undefined;
  const urlPassword = u.password !== '' ? decodeURIComponent(u.password) : undefined;
  u.username = '';
  u.password = '';
  return {
    kind: 'v1',
    url: u.toString().replace(/\/$/, ''),
    database: database.value,
    retentionPolicy: src.flag('influxRp', '--influx-rp')?.value,
    username: src.get('influxUser', '--influx-user', 'INFLUXDB_USERNAME')?.value ?? urlUser,
    password: src.get('influxPassword', '--influx-password', 'INFLUXDB_PASSWORD')?.value ?? urlPassword,
    createDatabase: bool(src.flag('influxCreateDb', '--influx-create-db'), false),
  };
}

function resolveTuning(src: Sources): WriterTuning {
  const precisionFound = src.flag('influxPrecision', '--influx-precision');
  let precision = DEFAULT_TUNING.precision;
  if (precisionFound !== undefined) {
    const p = PRECISIONS.find((x) => x === precisionFound.value);
    if (p === undefined)
      throw new InfluxSettingsError(
        'KUDF_INFLUX_SETTING_INVALID',
        precisionFound.key,
        `must be one of ${PRECISIONS.join(', ')}, got ${show(precisionFound)}`,
      );
    precision = p;
  }
  const insecure = bool(src.flag('influxInsecureSkipVerify', '--influx-insecure-skip-verify'), false);
  return {
    precision,
    gzip: bool(src.flag('influxGzip', '--influx-gzip'), DEFAULT_TUNING.gzip),
    tlsRejectUnauthorized: !insecure,
    caFile: src.flag('influxCaFile', '--influx-ca-file')?.value,
    batchSize: positiveInt(src.flag('influxBatchSize', '--influx-batch-size'), DEFAULT_TUNING.batchSize),
    flushIntervalMs: durationMs(
      src.get('influxFlushInterval', '--influx-flush-interval', 'KUDF_INFLUX_FLUSH_INTERVAL'),
      DEFAULT_TUNING.flushIntervalMs,
    ),
    timeoutMs: durationMs(
      src.get('influxTimeout', '--influx-timeout', 'KUDF_INFLUX_TIMEOUT'),
      DEFAULT_TUNING.timeoutMs,
    ),
    queueMaxBytes: sizeBytes(
      src.get('queueMaxBytes', '--queue-max-bytes', 'KUDF_QUEUE_MAX_BYTES'),
      DEFAULT_TUNING.queueMaxBytes,
    ),
    deadLetterMaxBytes: sizeBytes(
      src.get('deadLetterMaxBytes', '--dead-letter-max-bytes', 'KUDF_DEAD_LETTER_MAX_BYTES'),
      DEFAULT_TUNING.deadLetterMaxBytes,
    ),
    retryMinDelayMs: durationMs(
      src.get('retryMinDelay', '--retry-min-delay', 'KUDF_RETRY_MIN_DELAY'),
      DEFAULT_TUNING.retryMinDelayMs,
    ),
    retryMaxDelayMs: durationMs(
      src.get('retryMaxDelay', '--retry-max-delay', 'KUDF_RETRY_MAX_DELAY'),
      DEFAULT_TUNING.retryMaxDelayMs,
    ),
    retryAfterMaxMs: durationMs(
      src.get('retryAfterMax', '--retry-after-max', 'KUDF_RETRY_AFTER_MAX'),
      DEFAULT_TUNING.retryAfterMaxMs,
    ),
  };
}
