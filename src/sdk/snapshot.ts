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

/**
 * Turns the tagged objects of {@link replacer} back into bigint and non-finite numbers, bottom-up
 * and in place. A walk after a plain JSON.parse: a reviver function makes the parse several times slower.
 */
function revive(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i]);
    return value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (const k of keys) record[k] = revive(record[k]);
  if (keys.length === 1) {
    const v = record[keys[0] as string];
    if (keys[0] === '$bigint' && typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
    if (keys[0] === '$number' && (v === 'NaN' || v === 'Infinity' || v === '-Infinity')) return Number(v);
  }
  return value;
}

/** JSON.parse of snapshot text, with bigint and non-finite numbers revived. */
function parseJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  // Only text with a tag in it has anything to revive.
  return text.includes('"$') ? revive(value) : value;
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
 * The most bytes a snapshot's JSON may have, inflated: the inflated bytes are held (outside the
 * JavaScript heap) while a snapshot is restored, so a compressed snapshot that inflates past this
 * is refused rather than filling the worker's memory, and the host writes none larger. State that
 * is not a `groups` list is one string, whose length V8 bounds at about 512 MiB anyway.
 */
export const MAX_SNAPSHOT_JSON_BYTES = 512 * 1024 * 1024;

/**
 * What `snapshot()` may return: a {@link SnapshotValue}, or an object whose `groups` is any
 * iterable of values (a generator over the function's map, say), written one entry at a time so
 * that the whole list never exists at once.
 */
export type SnapshotOutput = SnapshotValue | { groups: Iterable<SnapshotValue>; [key: string]: unknown };

const GZIP_MAGIC = [0x1f, 0x8b] as const;

// A state with a groups list is written one entry a line: the envelope up to `"groups":[`, then
// each entry's JSON (which never holds a raw newline), then GROUPS_TAIL. A restore can then parse
// one entry at a time (see decodeSnapshot's `groups`); the whole is still one JSON document.
const GROUPS_HEAD_END = '"groups":[';
const GROUPS_TAIL = ']}}';

// The text is gzip-compressed a member per this many characters: gzip members concatenated are
// one gzip stream, so neither the whole JSON nor a second copy of it is ever in memory.
const MEMBER_CHARS = 1 << 20;

function groupsOf(state: SnapshotOutput): Iterable<unknown> | undefined {
  if (state === null || typeof state !== 'object' || Array.isArray(state)) return undefined;
  const groups = (state as Record<string, unknown>)['groups'];
  if (groups === null || typeof groups !== 'object' || typeof groups === 'string') return undefined;
  return Symbol.iterator in groups ? (groups as Iterable<unknown>) : undefined;
}

/** Collects a snapshot's text in pieces, gzip-compressing members once it is past the threshold. */
class SnapshotWriter {
  private pending: string[] = [];
  private pendingChars = 0;
  private readonly members: Buffer[] = [];
  private jsonBytes = 0;

  write(text: string): void {
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= MEMBER_CHARS) this.flush();
  }

  private flush(): void {
    const bytes = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingChars = 0;
    this.jsonBytes += bytes.byteLength;
    if (this.jsonBytes > MAX_SNAPSHOT_JSON_BYTES)
      throw new RangeError(`snapshot JSON passes ${MAX_SNAPSHOT_JSON_BYTES} bytes`);
    this.members.push(gzipSync(bytes, { level: 1 }));
  }

  finish(): Uint8Array {
    if (this.members.length === 0) {
      const json = Buffer.from(this.pending.join(''), 'utf8');
      if (json.byteLength <= COMPRESS_SNAPSHOTS_ABOVE) return json;
    }
    if (this.pendingChars > 0) this.flush();
    return this.members.length === 1 ? (this.members[0] as Buffer) : Buffer.concat(this.members);
  }
}

/**
 * A snapshot's bytes: the envelope as JSON, gzip-compressed above {@link COMPRESS_SNAPSHOTS_ABOVE}.
 * Throws a RangeError for state whose JSON would be longer than the host takes back.
 */
export function encodeSnapshot(identity: SnapshotIdentity, state: SnapshotOutput): Uint8Array {
  const writer = new SnapshotWriter();
  const groups = groupsOf(state);
  if (groups === undefined) {
    writer.write(JSON.stringify({ format: FORMAT, ...identity, state } satisfies Envelope, replacer));
    return writer.finish();
  }
  // `groups` goes last in the state (integer-like keys sort first, the others keep their order).
  const { groups: _list, ...rest } = state as Record<string, unknown>;
  const head = JSON.stringify(
    { format: FORMAT, ...identity, state: { ...rest, groups: [] } } satisfies Envelope,
    replacer,
  );
  if (!head.endsWith(`${GROUPS_HEAD_END}]}}`)) throw new Error('snapshot envelope is not laid out as expected');
  writer.write(head.slice(0, -3));
  let first = true;
  for (const entry of groups) {
    writer.write(first ? '\n' : ',\n');
    first = false;
    writer.write(JSON.stringify(entry, replacer) ?? 'null');
  }
  writer.write(`\n${GROUPS_TAIL}`);
  return writer.finish();
}

export type DecodedSnapshot =
  | { kind: 'state'; state: SnapshotValue }
  /**
   * A snapshot of a groups list, read one entry at a time: `head` is the state with `groups`
   * empty; iterating `groups` parses each entry as it goes, and throws on one that is not JSON.
   */
  | { kind: 'groups'; head: SnapshotValue; groups: Iterable<SnapshotValue> }
  /** A well-formed snapshot of another function, version or option set: start fresh. */
  | { kind: 'mismatch'; reason: string }
  /** Bytes that are not a snapshot of ours at all. */
  | { kind: 'invalid'; reason: string };

export interface DecodeOptions {
  /**
   * Give a snapshot the host wrote as a groups list back as `kind: 'groups'`, entry by entry,
   * instead of as one parsed value (which takes several times the state's own memory).
   */
  groups?: boolean;
}

export function decodeSnapshot(
  bytes: Uint8Array,
  expected: SnapshotIdentity,
  options: DecodeOptions = {},
): DecodedSnapshot {
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
  const lines = options.groups === true ? groupLines(json) : undefined;
  let parsed: unknown;
  try {
    parsed = parseJson(lines !== undefined ? lines.head : json.toString('utf8'));
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
  if (lines !== undefined) return { kind: 'groups', head: env.state as SnapshotValue, groups: lines.entries() };
  return { kind: 'state', state: env.state as SnapshotValue };
}

/**
 * The lines of a snapshot in the host's groups layout: the head made a whole document (its
 * groups empty) and the entries, parsed lazily. Undefined for any other layout.
 */
function groupLines(json: Buffer): { head: string; entries: () => Iterable<SnapshotValue> } | undefined {
  const headEnd = json.indexOf(0x0a);
  if (headEnd < 0) return undefined;
  const head = json.toString('utf8', 0, headEnd);
  if (!head.endsWith(GROUPS_HEAD_END)) return undefined;
  const tailStart = json.lastIndexOf(0x0a);
  if (json.toString('utf8', tailStart + 1) !== GROUPS_TAIL) return undefined;
  return {
    head: `${head}${GROUPS_TAIL}`,
    *entries() {
      let n = 0;
      for (let start = headEnd + 1; start < tailStart;) {
        let end = json.indexOf(0x0a, start);
        if (end < 0 || end > tailStart) end = tailStart;
        // Every entry but the last ends with its comma.
        const last = end === tailStart;
        const line = json.toString('utf8', start, last ? end : end - 1);
        start = end + 1;
        let entry: SnapshotValue;
        try {
          entry = parseJson(line) as SnapshotValue;
        } catch {
          throw new Error(`snapshot group #${n} is not JSON`);
        }
        n++;
        yield entry;
      }
    },
  };
}
