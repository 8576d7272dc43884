import {
  defineUdf,
  durationIn,
  fieldOf,
  GroupState,
  opt,
  OptionError,
  withFields,
  type EdgeType,
  type FieldValue,
  type Fields,
  type Point,
  type SnapshotValue,
} from '../src/sdk/index.js';

const SECOND = 1_000_000_000n;
const nonEmpty = (v: string): string | undefined => (v === '' ? 'must not be empty' : undefined);

const options = {
  field: opt.string().required().repeatable().describe('a watched field (any type); repeat for several'),
  previous: opt.string().check(nonEmpty).describe('adds <prefix><field> with the previous state of each watched field'),
  durationField: opt
    .string()
    .check(nonEmpty)
    .describe('adds this field: how long the previous state lasted, in `unit`'),
  unit: opt
    .duration()
    .check((v) => (v > 0n ? undefined : 'must be positive'))
    .default(SECOND)
    .describe('unit of durationField'),
  transition: opt
    .tuple('string', 'string')
    .repeatable()
    .describe("emit only these transitions (from, to) of the single watched field; '*' matches any value"),
  hold: opt
    .duration()
    .check((v) => (v >= 0n ? undefined : 'must not be negative'))
    .default(0n)
    .describe('a new state counts only once seen continuously this long (0s: at once)'),
  tolerance: opt
    .double()
    .check((v) => (v >= 0 && Number.isFinite(v) ? undefined : 'must be a finite number >= 0'))
    .default(0)
    .describe('numeric fields change only when they move by more than this'),
  emitFirst: opt.bool().default(true).describe("emit a group's first point"),
  acrossBatches: opt
    .bool()
    .default(false)
    .describe('keep state from one batch to the next (FALSE: reset at each batch)'),
};

/** Watched values in option order; `undefined` where the point lacks the field. */
type Values = (FieldValue | undefined)[];
/**
 * What a state holds: with one watched field (the common case) the value itself, saving an array
 * per group; with several, a {@link Values} array.
 */
type Packed = FieldValue | undefined | Values;

/** Stands in for a time that no option needs, so the point's own bigint is not retained. */
const NO_TIME = 0n;

/**
 * One group's state, kept to a few fixed slots so a million groups stay small: the watched values
 * of the current state and when it was entered, plus the hold candidate (if any) and when it was
 * first seen. Values are references to the points' own values, never copies.
 */
class EdgeState {
  constructor(
    public values: Packed,
    public since: bigint,
    public pending: Packed | null,
    public pendingSince: bigint,
  ) {}
}

/**
 * What the group map holds. In the common configuration (one watched field, no hold, no duration
 * field: see `valueOnly` below) every EdgeState would be `(value, NO_TIME, null, NO_TIME)`, so the
 * map holds the value itself instead: no object per group (28 bytes each at 1M groups), and a
 * string value is the decoder's interned string, shared by all groups. An EdgeState is stored
 * otherwise, and for a restored group whose times or hold candidate are not those defaults.
 */
type Stored = EdgeState | FieldValue;

const WILDCARD = '*';

function textOf(value: FieldValue): string {
  return typeof value === 'string' ? value : String(value);
}

function makeEdgeDetect(name: string, edge: EdgeType) {
  return defineUdf({
    name,
    description:
      edge === 'stream'
        ? "emits a point when watched fields change (Kapacitor's changeDetect plus previous values, durations, transitions, hold, tolerance)"
        : 'edgeDetect for batch tasks: emits the points of each batch where watched fields change',
    wants: edge,
    provides: edge,
    options,
    example:
      edge === 'stream'
        ? "stream\n    |from()\n        .measurement('adsl_connection')\n        .groupBy('host')\n    @edgeDetect()\n        .field('value')\n        .previous('prev_')\n        .durationField('prev_duration')"
        : 'batch\n    |query(\'SELECT value FROM "adsl"."autogen"."adsl_connection"\')\n        .period(1h)\n        .every(1h)\n        .groupBy(\'host\')\n    @edgeDetectBatch()\n        .field(\'value\')',
    create({ options: o, log }) {
      const fields = o.field;
      if (o.transition.length > 0 && fields.length !== 1) {
        throw new OptionError('transition', `needs exactly one .field(), got ${fields.length}`);
      }
      const tolerance = o.tolerance;
      const decorates = o.previous !== undefined || o.durationField !== undefined;
      const single = fields.length === 1;
      const keepsTime = o.durationField !== undefined || o.hold > 0n;
      const get = (vs: Packed, i: number): FieldValue | undefined =>
        single ? (vs as FieldValue | undefined) : (vs as Values)[i];
      // No option reads a state's times or hold candidate: a group's state is just its value.
      const valueOnly = single && !keepsTime && o.hold === 0n;
      const groups = new GroupState<Stored | undefined>(() => undefined);
      let batchGroup: string | undefined;
      let dropped = 0;
      // Entries given to restoreGroup since restore: numbers them in error messages.
      let restoredCount = 0;
      const keep = (key: string, s: EdgeState): void => {
        // A snapshot may hold no value (null) for the field: that stays an EdgeState, as a
        // value-only `undefined` would read as "no state".
        const plain =
          valueOnly &&
          s.values !== undefined &&
          s.since === NO_TIME &&
          s.pending === null &&
          s.pendingSince === NO_TIME;
        groups.set(key, plain ? (s.values as FieldValue) : s);
      };

      const same = (a: FieldValue, b: FieldValue): boolean => {
        if (a === b) return true;
        if (tolerance === 0) return false;
        // Type-strict, like changeDetect: an int never equals a double, whatever the tolerance.
        if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= tolerance;
        if (typeof a === 'bigint' && typeof b === 'bigint') return Math.abs(Number(a - b)) <= tolerance;
        return false;
      };

      // A field the point lacks is skipped; one the reference lacks but the point has is a change.
      const differs = (ref: Packed, values: Packed): boolean => {
        for (let i = 0; i < fields.length; i++) {
          const v = get(values, i);
          if (v === undefined) continue;
          const r = get(ref, i);
          if (r === undefined || !same(r, v)) return true;
        }
        return false;
      };

      const wanted = (from: FieldValue | undefined, to: FieldValue | undefined): boolean => {
        if (o.transition.length === 0) return true;
        if (to === undefined) return false;
        return o.transition.some(
          ([f, t]) =>
            (f === WILDCARD || (from !== undefined && f === textOf(from))) && (t === WILDCARD || t === textOf(to)),
        );
      };

      const decorate = (p: Point, prevValues: Packed, prevSince: bigint): Point => {
        if (!decorates) return p;
        const extra = Object.create(null) as Fields;
        if (o.previous !== undefined) {
          for (let i = 0; i < fields.length; i++) {
            const v = get(prevValues, i);
            if (v !== undefined) extra[o.previous + (fields[i] as string)] = v;
          }
        }
        if (o.durationField !== undefined) extra[o.durationField] = durationIn(p.time - prevSince, o.unit);
        return withFields(p, extra);
      };

      return {
        point(p, out) {
          let values: Packed;
          let present = 0;
          if (single) {
            values = fieldOf(p, fields[0] as string);
            if (values !== undefined) present++;
          } else {
            const list: Values = new Array<FieldValue | undefined>(fields.length);
            for (let i = 0; i < fields.length; i++) {
              const v = fieldOf(p, fields[i] as string);
              list[i] = v;
              if (v !== undefined) present++;
            }
            values = list;
          }
          const time = keepsTime ? p.time : NO_TIME;
          const key = batchGroup ?? p.group;
          if (present === 0) {
            dropped++;
            log.debug(
              { group: key, time: p.time.toString(), dropped },
              'point has none of the watched fields: dropped',
            );
            return;
          }
          const state = groups.peek(key);
          if (state === undefined) {
            groups.set(key, valueOnly ? (values as FieldValue) : new EdgeState(values, time, null, time));
            if (o.emitFirst && wanted(undefined, get(values, 0))) out.emit(p);
            return;
          }
          if (!(state instanceof EdgeState)) {
            // A value-only state: what the EdgeState steps below do to (value, NO_TIME, null, NO_TIME).
            if (!differs(state, values)) return;
            groups.set(key, values as FieldValue);
            if (wanted(state, get(values, 0))) out.emit(decorate(p, state, NO_TIME));
            return;
          }
          if (!differs(state.values, values)) {
            // Back to the current state before the hold ran out: the flap is forgotten.
            state.pending = null;
            return;
          }
          if (o.hold > 0n) {
            if (state.pending === null || differs(state.pending, values)) {
              state.pending = values;
              state.pendingSince = time;
            }
            if (time - state.pendingSince < o.hold) return;
            state.pending = null;
          }
          const previousValues = state.values;
          const previousSince = state.since;
          state.values = values;
          state.since = time;
          if (wanted(get(previousValues, 0), get(values, 0))) out.emit(decorate(p, previousValues, previousSince));
        },
        beginBatch(begin) {
          batchGroup = begin.group;
          if (!o.acrossBatches) groups.delete(begin.group);
        },
        endBatch(end) {
          batchGroup = undefined;
          // Nothing carries over to the next batch, so keep no memory for it either.
          if (!o.acrossBatches) groups.delete(end.group);
        },
        snapshot() {
          // A generator: the host writes the entries one at a time, so no list of them is built.
          return { groups: snapshotEntries(groups, single) };
        },
        restore(state) {
          const restored = parseSnapshot(state, fields.length);
          groups.clear();
          restoredCount = 0;
          for (const [key, s] of restored) keep(key, s);
        },
        restoreGroup(entry) {
          const [key, s] = parseEntry(entry, restoredCount, fields.length);
          restoredCount++;
          keep(key, s);
        },
      };
    },
  });
}

function toSnapshot(values: Packed, single: boolean): SnapshotValue[] {
  const list = single ? [values as FieldValue | undefined] : (values as Values);
  return list.map((v) => (v === undefined ? null : v));
}

function isFieldValue(v: unknown): v is FieldValue {
  return typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' || typeof v === 'boolean';
}

function fromSnapshot(v: unknown, width: number, what: string): Packed {
  if (!Array.isArray(v) || v.length !== width)
    throw new Error(`edgeDetect snapshot: ${what} must be an array of ${width} values`);
  const list = v.map((x: unknown) => {
    if (x === null) return undefined;
    if (!isFieldValue(x)) throw new Error(`edgeDetect snapshot: ${what} holds a value that is not a field value`);
    return x;
  });
  return width === 1 ? list[0] : list;
}

function* snapshotEntries(groups: GroupState<Stored | undefined>, single: boolean): Generator<SnapshotValue> {
  for (const [key, s] of groups.entries()) {
    if (s === undefined) continue;
    if (!(s instanceof EdgeState)) yield [key, toSnapshot(s, single), NO_TIME, null, NO_TIME];
    else
      yield [
        key,
        toSnapshot(s.values, single),
        s.since,
        s.pending === null ? null : toSnapshot(s.pending, single),
        s.pendingSince,
      ];
  }
}

function parseSnapshot(state: SnapshotValue, width: number): Array<[string, EdgeState]> {
  if (state === null || typeof state !== 'object' || Array.isArray(state) || !Array.isArray(state['groups'])) {
    throw new Error('edgeDetect snapshot: expected an object with a groups array');
  }
  return state['groups'].map((entry, i) => parseEntry(entry, i, width));
}

function parseEntry(entry: SnapshotValue, i: number, width: number): [string, EdgeState] {
  if (!Array.isArray(entry) || entry.length !== 5)
    throw new Error(`edgeDetect snapshot: group #${i} is not a 5-element array`);
  const [key, values, since, pending, pendingSince] = entry;
  if (typeof key !== 'string') throw new Error(`edgeDetect snapshot: group #${i} has no group key`);
  if (typeof since !== 'bigint' || typeof pendingSince !== 'bigint')
    throw new Error(`edgeDetect snapshot: group #${i} has no times`);
  const current = fromSnapshot(values, width, `group #${i} values`);
  const candidate = pending === null ? null : fromSnapshot(pending, width, `group #${i} pending values`);
  return [key, new EdgeState(current, since, candidate, pendingSince)];
}

/** The stream function `@edgeDetect()`. */
const edgeDetect = makeEdgeDetect('edgeDetect', 'stream');
/** The same function declared for batch tasks (`@edgeDetectBatch()`); state resets at each batch unless acrossBatches. */
export const edgeDetectBatch = makeEdgeDetect('edgeDetectBatch', 'batch');
export default edgeDetect;
