import { createHash } from 'node:crypto';

/** What a function may put in a snapshot: JSON values plus bigint (and non-finite numbers). */
export type SnapshotValue = null | boolean | number | bigint | string | SnapshotValue[] | { [key: string]: SnapshotValue };

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

export function encodeSnapshot(identity: SnapshotIdentity, state: SnapshotValue): Uint8Array {
  const envelope: Envelope = { format: FORMAT, ...identity, state };
  return Buffer.from(JSON.stringify(envelope, replacer), 'utf8');
}

export type DecodedSnapshot =
  | { kind: 'state'; state: SnapshotValue }
  /** A well-formed snapshot of another function, version or option set: start fresh. */
  | { kind: 'mismatch'; reason: string }
  /** Bytes that are not a snapshot of ours at all. */
  | { kind: 'invalid'; reason: string };

export function decodeSnapshot(bytes: Uint8Array, expected: SnapshotIdentity): DecodedSnapshot {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'), reviver);
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
