/**
 * Our own TypeScript view of Kapacitor's UDF messages (see proto/udf.proto).
 *
 * Every int64 on the wire (times, int fields, int and duration option values, batch sizes)
 * is a `bigint` here, so nanosecond times beyond 2^53 round-trip exactly. Nothing outside
 * `src/protocol` ever sees a protobufjs `Long`.
 */

export type EdgeType = 'stream' | 'batch';

export type ValueType = 'bool' | 'int' | 'double' | 'string' | 'duration';

/** A field value: double -> number, int -> bigint, string -> string, bool -> boolean. */
export type FieldValue = number | bigint | string | boolean;

/**
 * Field and tag maps are records with no inherited keys, so that a key like `__proto__` or
 * `toString` is just a key: the decoder builds them with `emptyRecord()` (a frozen, empty,
 * null-prototype root as prototype, for a fast V8 shape); `Object.create(null)` records are
 * accepted everywhere too.
 */
export type Tags = Record<string, string>;
export type Fields = Record<string, FieldValue>;

export interface OptionValue {
  type: ValueType;
  /** bool -> boolean, int/duration -> bigint (duration in ns), double -> number, string -> string. */
  value: boolean | bigint | number | string;
}

export interface InitOption {
  name: string;
  values: OptionValue[];
}

/**
 * Read-only, as a function receives it: the host writes an emitted input point back from its
 * original bytes, so a change must go into a new point (the SDK's withFields, derivePoint or a
 * spread). At run time the host freezes input points for every function but the built-in ones.
 */
export interface Point {
  /** Nanoseconds since the epoch. */
  readonly time: bigint;
  readonly name: string;
  readonly database: string;
  readonly retentionPolicy: string;
  readonly group: string;
  readonly dimensions: readonly string[];
  readonly tags: Readonly<Tags>;
  readonly fields: Readonly<Fields>;
  readonly byName: boolean;
}

export interface BeginBatch {
  readonly name: string;
  readonly group: string;
  readonly tags: Readonly<Tags>;
  readonly size: bigint;
  readonly byName: boolean;
}

export interface EndBatch {
  readonly name: string;
  readonly group: string;
  /** Nanoseconds since the epoch. */
  readonly tmax: bigint;
  readonly tags: Readonly<Tags>;
  readonly byName: boolean;
}

export interface OptionInfo {
  valueTypes: ValueType[];
}

export type Request =
  | { kind: 'info' }
  | { kind: 'init'; options: InitOption[]; taskID: string; nodeID: string }
  | { kind: 'keepalive'; time: bigint }
  | { kind: 'snapshot' }
  | { kind: 'restore'; snapshot: Uint8Array }
  | { kind: 'begin'; begin: BeginBatch }
  | { kind: 'point'; point: Point }
  | { kind: 'end'; end: EndBatch };

export type Response =
  | { kind: 'info'; wants: EdgeType; provides: EdgeType; options: Record<string, OptionInfo> }
  | { kind: 'init'; success: boolean; error: string }
  | { kind: 'keepalive'; time: bigint }
  | { kind: 'snapshot'; snapshot: Uint8Array }
  | { kind: 'restore'; success: boolean; error: string }
  | { kind: 'error'; error: string }
  | { kind: 'begin'; begin: BeginBatch }
  | { kind: 'point'; point: Point }
  | { kind: 'end'; end: EndBatch };
