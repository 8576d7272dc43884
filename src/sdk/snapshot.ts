import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';

/** What a function may put in a snapshot: JSON values plus bigint (and non-finite numbers). */
export type SnapshotValue =
  null | boolean | number | bigint | string | SnapshotValue[] | { [key: string]: SnapshotValue };

const FORMAT = 'kudf-snapshot';

/** The envelope every snapshot carries, so a snapshot is only ever restored into what made it. */
interface Envelope {
  format: typeof FORMAT;
  function: string;
  version: number;
  options: string;
  state: unknown;
}

// bigint and non-finite numbers have no JSON form; they travel as single-key tagged objects.
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const v = (value as Record<string, unknown>)[keys[0] as string];
      if (keys[0] === '$bigint' && typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
      if (keys[0] === '$number' && (v === 'NaN' || v === 'Infinity' || v === '-Infinity')) return Number(v);
    }
  }
  return value;
}

/** Canonical JSON (sorted keys) of a value, bigint-safe. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(value), replacer);
}

/** A short, stable fingerprint of a function's parsed options. */
export function fingerprintOptions(options: unknown): string {
  return createHash('sha256').update(canonicalJson(options)).digest('hex').slice(0, 16);
}

export interface SnapshotIdentity {
  function: string;
  version: number;
  options: string;
}

/**
 * Snapshots whose JSON is larger than this go out gzip-compressed (level 1: a few times smaller for
 * the per-group maps functions keep, at some hundred MB/s), so that state the host writes fits the
 * frames it accepts back in a RestoreRequest. Smaller ones stay plain JSON, readable in a dump.
 */
export const COMPRESS_SNAPSHOTS_ABOVE = 64 * 1024;

/**
 * The most bytes a snapshot's JSON may have, inflated: V8's longest string is about 512 MiB, so a
 * larger one could neither be written nor parsed; a compressed snapshot that inflates past it is
 * refused rather than filling the worker's heap.
 */
export const MAX_SNAPSHOT_JSON_BYTES = 512 * 1024 * 1024;

const GZIP_MAGIC = [0x1f, 0x8b] as const;

/**
 * A snapshot's bytes: the envelope as JSON, gzip-compressed above {@link COMPRESS_SNAPSHOTS_ABOVE}.
 * Throws a RangeError for state whose JSON would be longer than a string can be.
 */
export function encodeSnapshot(identity: SnapshotIdentity, state: SnapshotValue): Uint8Array {
  const envelope: Envelope = { format: FORMAT, ...identity, state };
  const json = Buffer.from(JSON.stringify(envelope, replacer), 'utf8');
  return json.byteLength > COMPRESS_SNAPSHOTS_ABOVE ? gzipSync(json, { level: 1 }) : json;
}

export type DecodedSnapshot =
  | { kind: 'state'; state: SnapshotValue }
  /** A well-formed snapshot of another function, version or option set: start fresh. */
  | { kind: 'mismatch'; reason: string }
  /** Bytes that are not a snapshot of ours at all. */
  | { kind: 'invalid'; reason: string };

export function decodeSnapshot(bytes: Uint8Array, expected: SnapshotIdentity): DecodedSnapshot {
  let json = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (json[0] === GZIP_MAGIC[0] && json[1] === GZIP_MAGIC[1]) {
    try {
      json = gunzipSync(json, { maxOutputLength: MAX_SNAPSHOT_JSON_BYTES });
    } catch (err) {
      const tooLarge = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
      return {
        kind: 'invalid',
        reason: tooLarge
          ? `compressed snapshot inflates past ${MAX_SNAPSHOT_JSON_BYTES} bytes`
          : `compressed snapshot is corrupt (${(err as Error).message})`,
      };
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'), reviver);
  } catch {
    return { kind: 'invalid', reason: `snapshot is not a ${FORMAT} document (${bytes.byteLength} bytes)` };
  }
  const env = parsed as Partial<Envelope> | null;
  if (env === null || typeof env !== 'object' || env.format !== FORMAT || !('state' in env)) {
    return { kind: 'invalid', reason: `snapshot is not a ${FORMAT} document` };
  }
  if (env.function !== expected.function) {
    return { kind: 'mismatch', reason: `snapshot belongs to function '${String(env.function)}'` };
  }
  if (env.version !== expected.version) {
    return { kind: 'mismatch', reason: `snapshot format version ${String(env.version)} is not ${expected.version}` };
  }
  if (env.options !== expected.options) {
    return { kind: 'mismatch', reason: 'snapshot was taken with other options' };
  }
  return { kind: 'state', state: env.state as SnapshotValue };
}
