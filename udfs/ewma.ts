import {
  defineUdf,
  deriveField,
  durationIn,
  GroupState,
  numericField,
  opt,
  OptionError,
  type SnapshotValue,
} from '../src/sdk/index.js';

/** One group's average and the time of the last point that moved it. */
class Average {
  constructor(
    public value: number,
    public time: bigint,
  ) {}
}

export default defineUdf({
  name: 'ewma',
  description: 'exponentially weighted moving average of a field, per group; time-aware with halfLife',
  wants: 'stream',
  provides: 'stream',
  options: {
    field: opt.string().required().describe('the numeric field (int or double)'),
    as: opt.string().default('ewma').describe('name of the output field'),
    alpha: opt
      .double()
      .check((v) => (v > 0 && v <= 1 ? undefined : `must be in (0, 1], got ${v}`))
      .describe('weight of each new point, 0 < alpha <= 1 (give alpha or halfLife)'),
    halfLife: opt
      .duration()
      .check((v) => (v > 0n ? undefined : 'must be positive'))
      .describe('time after which a point has half its weight; alpha = 1 - 2^(-dt/halfLife)'),
  },
  example:
    "stream\n    |from()\n        .measurement('adsl_line')\n        .groupBy('host')\n    @ewma()\n        .field('attenuation_down_db')\n        .halfLife(10m)",
  create({ options: o, log }) {
    if ((o.alpha === undefined) === (o.halfLife === undefined)) {
      throw new OptionError(
        o.alpha === undefined ? 'alpha' : 'halfLife',
        'give exactly one of .alpha(x) and .halfLife(duration)',
      );
    }
    const alpha = o.alpha;
    const halfLife = o.halfLife;
    const groups = new GroupState<Average | undefined>(() => undefined);
    let skipped = 0;

    return {
      point(p, out) {
        const x = numericField(p, o.field);
        if (x === undefined || !Number.isFinite(x)) {
          skipped++;
          log.debug(
            { group: p.group, time: p.time.toString(), skipped },
            'point without a finite numeric field: skipped',
          );
          return;
        }
        const s = groups.peek(p.group);
        let value: number;
        if (s === undefined) {
          value = x;
          groups.set(p.group, new Average(x, p.time));
        } else {
          let a: number;
          if (alpha !== undefined) a = alpha;
          else {
            // A point at or before the last one carries no elapsed time, hence no weight.
            const dt = p.time > s.time ? p.time - s.time : 0n;
            a = 1 - 2 ** -durationIn(dt, halfLife as bigint);
          }
          value = a * x + (1 - a) * s.value;
          s.value = value;
          if (p.time > s.time) s.time = p.time;
        }
        out.emit(deriveField(p, o.as, value));
      },
      snapshot() {
        const list: SnapshotValue[] = [];
        for (const [key, s] of groups.entries()) if (s !== undefined) list.push([key, s.value, s.time]);
        return { groups: list };
      },
      restore(state) {
        if (state === null || typeof state !== 'object' || Array.isArray(state) || !Array.isArray(state['groups'])) {
          throw new Error('ewma snapshot: expected an object with a groups array');
        }
        const restored = state['groups'].map((entry, i): [string, Average] => {
          if (!Array.isArray(entry) || entry.length !== 3)
            throw new Error(`ewma snapshot: group #${i} is not a 3-element array`);
          const [key, value, time] = entry;
          if (typeof key !== 'string' || typeof value !== 'number' || typeof time !== 'bigint') {
            throw new Error(`ewma snapshot: group #${i} must be [group, value, time]`);
          }
          return [key, new Average(value, time)];
        });
        groups.clear();
        for (const [key, s] of restored) groups.set(key, s);
      },
    };
  },
});
