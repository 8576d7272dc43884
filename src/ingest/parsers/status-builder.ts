import { COUNTER_KEYS, LINE_METRIC_KEYS, LINE_TEXT_KEYS, METRIC_KEY_LIST } from './metric-keys.js';
import type { CountersScope, LineMetricKey, LineStatus, StateClass } from './types.js';

type TextKey = 'state' | 'state_detail' | 'mode' | 'profile';

// Placeholders some firmwares print instead of leaving a field out.
const PLACEHOLDER = /^(?:n\/?a|none|null|unknown|-+|\?+)$/i;

/**
 * Collects what a family parser finds and derives the consistent fields
 * (`state_class`, `line_up`, `counters_scope`) once at the end.
 */
export class StatusBuilder {
  private readonly metrics = new Map<LineMetricKey, number>();
  private readonly texts = new Map<TextKey, string>();
  private stateClass: StateClass | undefined;
  private lineUp: boolean | undefined;

  /** Records a metric; integer keys are rounded so unit conversions never leak fractions. */
  metric(key: LineMetricKey, value: number | undefined): this {
    if (value === undefined || !Number.isFinite(value)) return this;
    this.metrics.set(key, LINE_METRIC_KEYS[key] === 'int' ? Math.round(value) : value);
    return this;
  }

  /** Records a down/up pair at once. */
  pair(downKey: LineMetricKey, upKey: LineMetricKey, down: number | undefined, up: number | undefined): this {
    return this.metric(downKey, down).metric(upKey, up);
  }

  has(key: LineMetricKey): boolean {
    return this.metrics.has(key);
  }

  /** Records a text field; empty text and placeholders such as `N/A` are left out. */
  text(key: TextKey, value: string | undefined): this {
    if (value === undefined) return this;
    let v = value.trim();
    if (key === 'state') v = v.replace(/\.+$/, '').trim();
    if (v.length === 0 || PLACEHOLDER.test(v)) return this;
    this.texts.set(key, v);
    return this;
  }

  getText(key: TextKey): string | undefined {
    return this.texts.get(key);
  }

  /** Overrides the class derived from the state text (ubus reports `up` separately). */
  classify(stateClass: StateClass): this {
    this.stateClass = stateClass;
    return this;
  }

  /** For outputs that report "line up" without a state word. */
  up(value: boolean): this {
    this.lineUp = value;
    return this;
  }

  get isEmpty(): boolean {
    return this.metrics.size === 0 && this.texts.size === 0 && this.lineUp === undefined;
  }

  /**
   * Builds the status in canonical key order. `classifyState` maps the raw state to its class;
   * `scope` is applied only when error counters were found. Line uptime is dropped unless the
   * line is up, because a down line's "uptime" is stale.
   */
  build(classifyState: (state: string) => StateClass, scope: CountersScope): LineStatus {
    const state = this.texts.get('state');
    let stateClass = this.stateClass;
    if (stateClass === undefined && state !== undefined) stateClass = classifyState(state);
    if (stateClass === undefined && this.lineUp !== undefined) stateClass = this.lineUp ? 'showtime' : 'unknown';
    const lineUp = stateClass === undefined ? undefined : stateClass === 'showtime';
    if (lineUp === false) this.metrics.delete('uptime_s');
    const hasCounters = [...this.metrics.keys()].some((k) => COUNTER_KEYS.has(k));

    const out: LineStatus = {};
    for (const key of LINE_TEXT_KEYS) {
      if (key === 'state_class') {
        if (stateClass !== undefined) out.state_class = stateClass;
      } else if (key === 'line_up') {
        if (lineUp !== undefined) out.line_up = lineUp;
      } else if (key === 'counters_scope') {
        if (hasCounters) out.counters_scope = scope;
      } else {
        const v = this.texts.get(key);
        if (v !== undefined) out[key] = v;
      }
    }
    for (const key of METRIC_KEY_LIST) {
      const v = this.metrics.get(key);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }
}
