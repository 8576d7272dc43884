import {
  defineUdf,
  deriveField,
  durationIn,
  GroupState,
  numericField,
  opt,
  type EdgeType,
  type Fields,
  type Point,
  type SnapshotValue,
} from '../src/sdk/index.js';

const SECOND = 1_000_000_000n;

/** One group's running total and the point the next trapezoid starts from. */
class Total {
  constructor(
    public total: number,
    public time: bigint,
    public value: number,
  ) {}
}

const options = {
  field: opt.string().required().describe('the numeric field (int or double) to integrate'),
  unit: opt
    .duration()
    .check((v) => (v > 0n ? undefined : 'must be positive'))
    .default(SECOND)
    .describe('time unit of the integral (1h turns watts into Wh)'),
  as: opt.string().default('integral').describe('name of the output field'),
};

function makeIntegral(name: string, edge: EdgeType) {
  return defineUdf({
    name,
    description:
      edge === 'stream'
        ? 'running trapezoidal integral of a field over time, per group: one point out per point in'
        : 'trapezoidal integral of a field over each batch: one point per batch, at the batch tmax',
    wants: edge,
    provides: edge,
    options,
    example:
      edge === 'stream'
        ? "stream\n    |from()\n        .measurement('power')\n        .groupBy('host')\n    @integral()\n        .field('watts')\n        .unit(1h)\n        .as('wh')"
        : "batch\n    |query('SELECT watts FROM \"telegraf\".\"autogen\".\"power\"')\n        .period(1h)\n        .every(1h)\n        .groupBy('host')\n    @integralBatch()\n        .field('watts')\n        .unit(1h)\n        .as('wh')",
    create({ options: o, log }) {
      const groups = new GroupState<Total | undefined>(() => undefined);
      let batch: { group: string; last: Point | undefined } | undefined;
      let skipped = 0;

      const skip = (p: Point, why: string): void => {
        skipped++;
        log.debug({ group: p.group, time: p.time.toString(), skipped }, why);
      };

      return {
        point(p, out) {
          const x = numericField(p, o.field);
          if (x === undefined || !Number.isFinite(x)) return skip(p, 'point without a finite numeric field: skipped');
          const key = batch?.group ?? p.group;
          const s = groups.peek(key);
          if (s === undefined) {
            groups.set(key, new Total(0, p.time, x));
          } else {
            if (p.time < s.time) return skip(p, 'point older than the previous one: skipped');
            s.total += ((s.value + x) / 2) * durationIn(p.time - s.time, o.unit);
            s.time = p.time;
            s.value = x;
          }
          if (batch !== undefined) {
            batch.last = p;
            return;
          }
          out.emit(deriveField(p, o.as, (groups.peek(key) as Total).total));
        },
        beginBatch(begin) {
          batch = { group: begin.group, last: undefined };
          groups.delete(begin.group);
        },
        endBatch(end, out) {
          const s = groups.peek(end.group);
          const last = batch?.last;
          batch = undefined;
          groups.delete(end.group);
          if (s === undefined || last === undefined) return;
          const fields = Object.create(null) as Fields;
          fields[o.as] = s.total;
          out.emit({
            time: end.tmax,
            name: end.name,
            database: last.database,
            retentionPolicy: last.retentionPolicy,
            group: end.group,
            dimensions: Object.keys(end.tags).sort(),
            tags: end.tags,
            fields,
            byName: end.byName,
          });
        },
        snapshot() {
          const list: SnapshotValue[] = [];
          for (const [key, s] of groups.entries()) if (s !== undefined) list.push([key, s.total, s.time, s.value]);
          return { groups: list };
        },
        restore(state) {
          if (state === null || typeof state !== 'object' || Array.isArray(state) || !Array.isArray(state['groups'])) {
            throw new Error(`${name} snapshot: expected an object with a groups array`);
          }
          const restored = state['groups'].map((entry, i): [string, Total] => {
            if (!Array.isArray(entry) || entry.length !== 4)
              throw new Error(`${name} snapshot: group #${i} is not a 4-element array`);
            const [key, total, time, value] = entry;
            if (
              typeof key !== 'string' ||
              typeof total !== 'number' ||
              typeof time !== 'bigint' ||
              typeof value !== 'number'
            ) {
              throw new Error(`${name} snapshot: group #${i} must be [group, total, time, value]`);
            }
            return [key, new Total(total, time, value)];
          });
          groups.clear();
          for (const [key, s] of restored) groups.set(key, s);
        },
      };
    },
  });
}

/** The stream function `@integral()`: a running total, one point out per point in. */
const integral = makeIntegral('integral', 'stream');
/** The batch function `@integralBatch()`: one total per batch. */
export const integralBatch = makeIntegral('integralBatch', 'batch');
export default integral;
