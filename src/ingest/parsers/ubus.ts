import { readLenientJson } from './lenient-json.js';
import type { NormalizedText } from './normalize-text.js';
import { toKbps } from './numbers.js';
import { LANTIQ_ERROR_COUNTERS } from './lantiq-state.js';
import { StatusBuilder } from './status-builder.js';
import { asNumber, asObject, isIopsysDsl, parseIopsysDsl } from './ubus-iopsys.js';
import type { LineMetricKey, LineStatus, StateClass } from './types.js';

const DIRECTION_FIELDS: readonly [string, LineMetricKey, LineMetricKey][] = [
  ['latn', 'attenuation_down_db', 'attenuation_up_db'],
  ['satn', 'signal_attenuation_down_db', 'signal_attenuation_up_db'],
  ['snr', 'snr_margin_down_db', 'snr_margin_up_db'],
  ['actatp', 'output_power_down_dbm', 'output_power_up_dbm'],
];

/**
 * OpenWrt `ubus call dsl metrics` (Lantiq/MaxLinear), or iopsys `ubus call dsl status|stats`
 * (see ubus-iopsys.ts), told apart by their keys. The reply may be cut off; whatever
 * was complete is used. Rates are bit/s; `errors.near` is downstream.
 */
export function parseUbus(input: NormalizedText): LineStatus {
  const root = asObject(readLenientJson(input.text));
  const b = new StatusBuilder();
  if (!root) return b.build(classifyUbusState, 'total');
  if (isIopsysDsl(root)) return parseIopsysDsl(root);
  if (typeof root.state === 'string') b.text('state', root.state);
  if (typeof root.mode === 'string') b.text('mode', root.mode);
  if (typeof root.profile === 'string') b.text('profile', root.profile);
  if (typeof root.up === 'boolean') {
    b.up(root.up);
    // `up` is the daemon's own verdict (TC-layer sync), so it decides the class.
    if (root.up) b.classify('showtime');
    else if (b.getText('state') !== undefined) b.classify(classifyUbusState(b.getText('state') ?? '', false));
  }
  b.metric('uptime_s', asNumber(root.uptime));

  const down = asObject(root.downstream);
  const up = asObject(root.upstream);
  b.pair(
    'sync_rate_down_kbps',
    'sync_rate_up_kbps',
    toKbps(asNumber(down?.data_rate), 'b/s'),
    toKbps(asNumber(up?.data_rate), 'b/s'),
  );
  b.pair(
    'attainable_rate_down_kbps',
    'attainable_rate_up_kbps',
    toKbps(asNumber(down?.attndr), 'b/s'),
    toKbps(asNumber(up?.attndr), 'b/s'),
  );
  for (const [name, d, u] of DIRECTION_FIELDS) b.pair(d, u, asNumber(down?.[name]), asNumber(up?.[name]));

  const errors = asObject(root.errors);
  const near = asObject(errors?.near);
  const far = asObject(errors?.far);
  for (const [name, d, u] of LANTIQ_ERROR_COUNTERS) b.pair(d, u, asNumber(near?.[name]), asNumber(far?.[name]));
  return b.build((state) => classifyUbusState(state), 'total');
}

/**
 * ubus `state` strings ("Showtime with TC-Layer sync", "Idle", "Silent", "Training", ...).
 * When `up` is known, only `up: true` is showtime.
 */
export function classifyUbusState(state: string, up?: boolean): StateClass {
  const s = state.toLowerCase();
  if (up === true) return 'showtime';
  if (up === undefined && /showtime with tc/.test(s)) return 'showtime';
  if (/^idle/.test(s)) return 'idle';
  if (/silent|not initialized|disabled|down/.test(s)) return 'down';
  if (/exception|error/.test(s)) return 'error';
  if (/not updated|unknown/.test(s)) return 'unknown';
  return 'training';
}
