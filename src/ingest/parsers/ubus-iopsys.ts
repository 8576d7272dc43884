import type { JsonValue } from './lenient-json.js';
import { StatusBuilder } from './status-builder.js';
import { classifyTr064State } from './tr064.js';
import type { CountersScope, LineMetricKey, LineStatus, StateClass } from './types.js';

type JsonObject = { [key: string]: JsonValue };

export function asObject(v: JsonValue | undefined): JsonObject | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

export function asNumber(v: JsonValue | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function first(v: JsonValue | undefined): JsonObject | undefined {
  return Array.isArray(v) ? asObject(v[0]) : undefined;
}

/**
 * True for the iopsys/prpl `dslmngr` schema: `ubus call dsl status|stats` (a `line` array) or
 * `ubus call dsl.line.N status` (one line object), named after TR-181 `Device.DSL.Line`.
 */
export function isIopsysDsl(root: JsonObject): boolean {
  if (Array.isArray(root.line)) return true;
  return 'link_status' in root || 'standard_used' in root || 'noise_margin' in root || 'xtur_fec_errors' in root;
}

// TR-181 reports margins and attenuation in 0.1 dB and powers in 0.1 dBmV (read as dBm, as every
// modem GUI shows them); `us` is CPE->CO (up), `ds` CO->CPE (down).
const TENTHS: readonly [string, LineMetricKey, LineMetricKey][] = [
  ['noise_margin', 'snr_margin_down_db', 'snr_margin_up_db'],
  ['attenuation', 'attenuation_down_db', 'attenuation_up_db'],
  ['power', 'output_power_down_dbm', 'output_power_up_dbm'],
];

// Channel counters: `xtur_*` are counted by the CPE's receiver (downstream), `xtuc_*` by the CO's (upstream).
const CHANNEL_COUNTERS: readonly [string, LineMetricKey, LineMetricKey][] = [
  ['crc_errors', 'crc_errors_down', 'crc_errors_up'],
  ['fec_errors', 'fec_errors_down', 'fec_errors_up'],
  ['hec_errors', 'hec_errors_down', 'hec_errors_up'],
];

/** Reads the iopsys schema; `status` for `dsl status`, counters for `dsl stats`. */
export function parseIopsysDsl(root: JsonObject): LineStatus {
  const b = new StatusBuilder();
  const line = first(root.line) ?? root;
  const channel = first(line.channel) ?? (Array.isArray(root.line) ? undefined : root);

  // `link_status` is the physical link (TR-181 LinkStatus); `status` the interface, kept as a fallback.
  const state =
    typeof line.link_status === 'string' ? line.link_status : typeof line.status === 'string' ? line.status : undefined;
  b.text('state', state);
  if (typeof line.standard_used === 'string') b.text('mode', line.standard_used);
  if (typeof line.current_profile === 'string') b.text('profile', line.current_profile);

  const pair = (v: JsonValue | undefined): { us?: number; ds?: number } => {
    const o = asObject(v);
    const us = asNumber(o?.us);
    const ds = asNumber(o?.ds);
    return { ...(us !== undefined ? { us } : {}), ...(ds !== undefined ? { ds } : {}) };
  };
  // Rates are kbps already (TR-181 `UpstreamMaxBitRate`, `CurrRate`).
  const max = pair(line.max_bit_rate);
  b.pair('attainable_rate_down_kbps', 'attainable_rate_up_kbps', max.ds, max.us);
  const curr = pair(channel?.curr_rate);
  b.pair('sync_rate_down_kbps', 'sync_rate_up_kbps', curr.ds, curr.us);
  for (const [name, down, up] of TENTHS) {
    const v = pair(line[name]);
    b.pair(down, up, v.ds === undefined ? undefined : v.ds / 10, v.us === undefined ? undefined : v.us / 10);
  }

  // `dsl stats`: per interval blocks; the showtime block resets at each sync, so it is preferred.
  let scope: CountersScope = 'unknown';
  const block = (o: JsonObject | undefined): { data: JsonObject | undefined; scope: CountersScope } => {
    const showtime = asObject(o?.showtime);
    if (showtime) return { data: showtime, scope: 'since_sync' };
    const total = asObject(o?.total);
    if (total) return { data: total, scope: 'total' };
    return { data: o, scope: 'unknown' };
  };
  const lineStats = block(line);
  if (
    asNumber(lineStats.data?.errored_secs) !== undefined ||
    asNumber(lineStats.data?.severely_errored_secs) !== undefined
  ) {
    // TR-181 gives errored seconds without a direction.
    b.metric('es_s', asNumber(lineStats.data?.errored_secs));
    b.metric('ses_s', asNumber(lineStats.data?.severely_errored_secs));
    scope = lineStats.scope;
  }
  const chanStats = block(channel);
  for (const [name, down, up] of CHANNEL_COUNTERS) {
    const d = asNumber(chanStats.data?.[`xtur_${name}`]);
    const u = asNumber(chanStats.data?.[`xtuc_${name}`]);
    if (d !== undefined || u !== undefined) scope = chanStats.scope;
    b.pair(down, up, d, u);
  }
  return b.build(classifyIopsysState, scope);
}

/** TR-181 `LinkStatus` (`Up`, `Initializing`, `EstablishingLink`, `NoSignal`, `Disabled`, `Error`) or `Status` (`Up`, `Down`, ...). */
export function classifyIopsysState(state: string): StateClass {
  const s = state.toLowerCase().replace(/[\s_-]/g, '');
  if (s === 'dormant' || s === 'notpresent' || s === 'lowerlayerdown') return 'down';
  return classifyTr064State(state);
}
