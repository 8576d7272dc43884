import { classifyLantiqState, LANTIQ_ERROR_COUNTERS } from './lantiq-state.js';
import { toKbps, toNumber } from './numbers.js';
import { StatusBuilder } from './status-builder.js';
import type { LineMetricKey, LineStatus } from './types.js';

const LEVELS: readonly [string, LineMetricKey, LineMetricKey][] = [
  ['line_attenuation', 'attenuation_down_db', 'attenuation_up_db'],
  ['signal_attenuation', 'signal_attenuation_down_db', 'signal_attenuation_up_db'],
  ['noise_margin', 'snr_margin_down_db', 'snr_margin_up_db'],
  ['actatp', 'output_power_down_dbm', 'output_power_up_dbm'],
];

/** `dsl_control lucistat`: a Lua table literal, `dsl.key=value` per line; rates in bit/s. */
export function parseLantiqLucistat(lines: readonly string[]): LineStatus {
  const vars = new Map<string, string>();
  for (const line of lines) {
    const m = /^\s*dsl\.(\w+)\s*=\s*(.*?)\s*$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) vars.set(m[1], m[2].replace(/^"(.*)"$/, '$1'));
  }
  const num = (key: string): number | undefined => toNumber(vars.get(key));
  const b = new StatusBuilder();
  b.text('state', vars.get('line_state'));
  b.text('state_detail', vars.get('line_state_detail'));
  b.text('mode', vars.get('line_mode_s'));
  b.text('profile', vars.get('profile_s'));
  b.pair(
    'sync_rate_down_kbps',
    'sync_rate_up_kbps',
    toKbps(num('data_rate_down'), 'b/s'),
    toKbps(num('data_rate_up'), 'b/s'),
  );
  b.pair(
    'attainable_rate_down_kbps',
    'attainable_rate_up_kbps',
    toKbps(num('max_data_rate_down'), 'b/s'),
    toKbps(num('max_data_rate_up'), 'b/s'),
  );
  for (const [name, down, up] of LEVELS) b.pair(down, up, num(`${name}_down`), num(`${name}_up`));
  for (const [name, down, up] of LANTIQ_ERROR_COUNTERS)
    b.pair(down, up, num(`errors_${name}_near`), num(`errors_${name}_far`));
  b.metric('uptime_s', num('line_uptime'));
  return b.build(
    (state) => classifyLantiqState(state, vars.get('line_state_detail'), vars.get('line_state_num')),
    'total',
  );
}
