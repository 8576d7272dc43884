import type { BeginBatch, EdgeType, EndBatch, Point } from '../protocol/index.js';
import type { OptionSpecs, ParsedOptions } from './options.js';
import type { SnapshotOutput, SnapshotValue } from './snapshot.js';

/** The part of a pino logger a function uses; the host passes a child logger with task and node IDs. */
export interface UdfLogger {
  debug(details: object, message?: string): void;
  info(details: object, message?: string): void;
  warn(details: object, message?: string): void;
  error(details: object, message?: string): void;
}

/** Where a function sends its output. Inside a batch, emitted points become the output batch's points. */
export interface Emitter {
  emit(point: Point): void;
}

export interface UdfContext<P> {
  /** The validated Init options, typed from the declaration. */
  readonly options: P;
  readonly taskID: string;
  readonly nodeID: string;
  readonly log: UdfLogger;
}

/**
 * One running instance of a function: one per Kapacitor task connection, created after a
 * successful Init. Methods run one at a time, never concurrently.
 */
export interface UdfInstance {
  /**
   * Every stream point, and every point inside a batch. `point` is read-only: the host freezes it,
   * with its fields, tags and dimensions, for every function but the built-in ones.
   */
  point(point: Point, out: Emitter): void;
  /** Called at BeginBatch; the host frames the output batch itself (BeginBatch, emitted points, EndBatch). */
  beginBatch?(begin: BeginBatch, out: Emitter): void;
  /** Called at EndBatch, before the output batch is closed: points emitted here still belong to it. */
  endBatch?(end: EndBatch, out: Emitter): void;
  /**
   * All per-group state as a snapshot value (JSON plus bigint). A `groups` member may be any
   * iterable, e.g. a generator over the function's map: it is written one entry at a time.
   */
  snapshot?(): SnapshotOutput;
  /** Replaces all state from {@link snapshot}'s value; throws when the value has the wrong shape. */
  restore?(state: SnapshotValue): void;
  /**
   * Restores a `groups` list one entry at a time, so that a large state is never in memory twice:
   * with it, a snapshot the host wrote with `groups` goes to a fresh instance as restore() of the
   * state with `groups` empty, then restoreGroup() of each entry in order. Throws on a bad entry.
   */
  restoreGroup?(entry: SnapshotValue): void;
}

export interface UdfDefinition<O extends OptionSpecs = OptionSpecs> {
  /** The name used in kapacitor.conf (`[udf.functions.<name>]`) and TICKscripts (`@name()`). */
  readonly name: string;
  readonly description: string;
  /** Edge type the function consumes, reported in InfoResponse. */
  readonly wants: EdgeType;
  /** Edge type the function produces, reported in InfoResponse. */
  readonly provides: EdgeType;
  readonly options: O;
  /** Bump when the shape of {@link UdfInstance.snapshot}'s value changes; older snapshots are then ignored. Default 1. */
  readonly snapshotVersion?: number;
  /** A short TICKscript example for docs/functions.md and `kudf functions`. */
  readonly example?: string;
  create(context: UdfContext<ParsedOptions<O>>): UdfInstance;
}

/** Thrown by {@link defineUdf} and the registry for a definition that cannot be served. */
export class UdfDefinitionError extends Error {
  override readonly name = 'UdfDefinitionError';
  readonly code = 'KUDF_UDF_BAD_DEFINITION';
  constructor(
    readonly udf: string,
    message: string,
  ) {
    super(`function '${udf}': ${message}`);
  }
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const OPTION_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Declares a function. Checks the declaration at once, so a bad definition fails at start-up
 * with the function's name in the error, and returns it unchanged with its types intact.
 */
export function defineUdf<O extends OptionSpecs>(definition: UdfDefinition<O>): UdfDefinition<O> {
  validateDefinition(definition);
  return definition;
}

/** Validates a definition loaded from anywhere (including a user's `--udf-dir`). */
export function validateDefinition(value: unknown): asserts value is UdfDefinition {
  const def = value as Partial<UdfDefinition> | null;
  const label = typeof def?.name === 'string' ? def.name : '<unnamed>';
  const fail = (msg: string): never => {
    throw new UdfDefinitionError(label, msg);
  };
  if (def === null || typeof def !== 'object') throw new UdfDefinitionError(label, 'definition is not an object');
  if (typeof def.name !== 'string' || !NAME.test(def.name)) fail('name must be an identifier (letters, digits, _)');
  if (def.wants !== 'stream' && def.wants !== 'batch') fail(`wants must be 'stream' or 'batch'`);
  if (def.provides !== 'stream' && def.provides !== 'batch') fail(`provides must be 'stream' or 'batch'`);
  if (typeof def.create !== 'function') fail('create must be a function');
  if (typeof def.description !== 'string') fail('description must be a string');
  if (def.options === null || typeof def.options !== 'object') fail('options must be an object');
  for (const [name, spec] of Object.entries(def.options ?? {})) {
    if (!OPTION_NAME.test(name)) fail(`option name '${name}' is not an identifier`);
    if (!Array.isArray(spec?.valueTypes) || typeof spec.convert !== 'function')
      fail(`option '${name}' is not built with opt.*()`);
  }
  const version = def.snapshotVersion ?? 1;
  if (!Number.isInteger(version) || version < 1) fail('snapshotVersion must be a positive integer');
}
