import {
  defineUdf,
  deriveField,
  GroupState,
  numericField,
  opt,
  OptionError,
  withFields,
  type SnapshotValue,
} from '../src/sdk/index.js';

/** The running sum is rebuilt from the window after this many updates (or the window length, if larger). */
const RECOMPUTE_EVERY = 1024;

/**
 * One group's window: values (and times, for `.period`) in arrival order, oldest first, with a
 * compensated (Neumaier) running sum of the finite values. The sum is recomputed from the window
 * every so often so that rounding cannot build up over millions of points.
 */
class Window {
  values: number[] = [];
  times: bigint[] = [];
  /** Index of the oldest live entry; the arrays are compacted once half of them is dead. */
  head = 0;
  sum = 0;
  comp = 0;
  updates = 0;
  /** NaN and ±Infinity stay out of the running sum: a mean over them is computed directly. */
  nonFinite = 0;

  get count(): number {
    return this.values.length - this.head;
  }

  push(value: number, time: bigint, keepTimes: boolean): void {
    this.values.push(value);
    if (keepTimes) this.times.push(time);
    this.account(value, +1);
  }

  /** Drops the oldest entry. */
  shift(): void {
    const value = this.values[this.head] as number;
    this.head++;
    this.account(value, -1);
    if (this.head >= 64 && this.head * 2 >= this.values.length) {
      this.values = this.values.slice(this.head);
      if (this.times.length > 0) this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }

  oldestTime(): bigint | undefined {
    return this.count > 0 ? this.times[this.head] : undefined;
  }

  mean(): number {
    if (this.nonFinite > 0) {
      let s = 0;
      for (let i = this.head; i < this.values.length; i++) s += this.values[i] as number;
      return s / this.count;
    }
    return (this.sum + this.comp) / this.count;
  }

  private account(value: number, sign: 1 | -1): void {
    if (!Number.isFinite(value)) {
      this.nonFinite += sign;
      return;
    }
    this.add(sign * value);
    this.updates++;
    if (this.updates >= Math.max(RECOMPUTE_EVERY, this.count)) this.recompute();
  }

  private add(x: number): void {
    const t = this.sum + x;
    this.comp += Math.abs(this.sum) >= Math.abs(x) ? this.sum - t + x : x - t + this.sum;
    this.sum = t;
  }

  private recompute(): void {
    this.sum = 0;
    this.comp = 0;
    this.updates = 0;
    for (let i = this.head; i < this.values.length; i++) {
      const v = this.values[i] as number;
      if (Number.isFinite(v)) this.add(v);
    }
  }
}

export default defineUdf({
  name: 'movingAverage',
  description: 'moving average of a field over the last `size` points and/or a `period` of time, per group',
  wants: 'stream',
  provides: 'stream',
  options: {
    field: opt.string().required().describe('the numeric field (int or double) to average'),
    size: opt.int().min(1).describe('window of the last n points (give size, period or both)'),
    period: opt
      .duration()
      .check((v) => (v > 0n ? undefined : 'must be positive'))
      .describe('window of the points with time in (t - period, t]'),
    as: opt.string().default('avg').describe('name of the output field'),
    full: opt.bool().default(false).describe('emit only once the window holds `size` points'),
    keepFields: opt.bool().default(false).describe("keep the input point's fields next to the average"),
  },
  example:
    "stream\n    |from()\n        .measurement('adsl_line')\n        .groupBy('host')\n    @movingAverage()\n        .field('snr_margin_down_db')\n        .size(10)\n        .as('snr_avg')",
  create({ options: o, log }) {
    if (o.size === undefined && o.period === undefined)
      throw new OptionError('size', 'give .size(n), .period(duration) or both');
    if (o.full && o.size === undefined)
      throw new OptionError('full', 'needs .size(n): only a count window can be full');
    const size = o.size;
    const period = o.period;
    const keepTimes = period !== undefined;
    const groups = new GroupState(() => new Window());
    let skipped = 0;

    return {
      point(p, out) {
        const value = numericField(p, o.field);
        if (value === undefined) {
          skipped++;
          log.debug({ group: p.group, time: p.time.toString(), skipped }, 'point without a numeric field: skipped');
          return;
        }
        const w = groups.get(p.group);
        w.push(value, p.time, keepTimes);
        if (period !== undefined) {
          const horizon = p.time - period;
          for (let t = w.oldestTime(); t !== undefined && t <= horizon; t = w.oldestTime()) w.shift();
        }
        if (size !== undefined) while (w.count > size) w.shift();
        if (o.full && w.count < (size as number)) return;
        if (o.keepFields) out.emit(withFields(p, { [o.as]: w.mean() }));
        else out.emit(deriveField(p, o.as, w.mean()));
      },
      snapshot() {
        const list: SnapshotValue[] = [];
        for (const [key, w] of groups.entries()) {
          list.push({
            group: key,
            values: w.values.slice(w.head),
            times: w.times.slice(w.head),
            sum: w.sum,
            comp: w.comp,
            updates: w.updates,
          });
        }
        return { groups: list };
      },
      restore(state) {
        const restored = parseSnapshot(state, keepTimes);
        groups.clear();
        for (const [key, w] of restored) groups.set(key, w);
      },
    };
  },
});

function parseSnapshot(state: SnapshotValue, keepTimes: boolean): Array<[string, Window]> {
  const fail = (msg: string): never => {
    throw new Error(`movingAverage snapshot: ${msg}`);
  };
  if (state === null || typeof state !== 'object' || Array.isArray(state) || !Array.isArray(state['groups'])) {
    return fail('expected an object with a groups array');
  }
  return state['groups'].map((entry, i): [string, Window] => {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
      return fail(`group #${i} is not an object`);
    const { group, values, times, sum, comp, updates } = entry;
    if (typeof group !== 'string') return fail(`group #${i} has no group key`);
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'number'))
      return fail(`group #${i} values must be numbers`);
    if (!Array.isArray(times) || !times.every((t) => typeof t === 'bigint'))
      return fail(`group #${i} times must be bigints`);
    if (times.length !== (keepTimes ? values.length : 0))
      return fail(`group #${i} has ${times.length} times for ${values.length} values`);
    if (
      typeof sum !== 'number' ||
      typeof comp !== 'number' ||
      typeof updates !== 'number' ||
      !Number.isInteger(updates)
    ) {
      return fail(`group #${i} has no running sum`);
    }
    const w = new Window();
    w.values = values;
    w.times = times;
    w.sum = sum;
    w.comp = comp;
    w.updates = updates;
    w.nonFinite = w.values.filter((v) => !Number.isFinite(v)).length;
    return [group, w];
  });
}
