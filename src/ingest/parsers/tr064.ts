import type { NormalizedText } from './normalize-text.js';
import { toNumber } from './numbers.js';
import { StatusBuilder } from './status-builder.js';
import type { CountersScope, LineMetricKey, LineStatus, StateClass } from './types.js';

const RATES: readonly [string, LineMetricKey][] = [
  ['DownstreamCurrRate', 'sync_rate_down_kbps'],
  ['UpstreamCurrRate', 'sync_rate_up_kbps'],
  ['DownstreamMaxRate', 'attainable_rate_down_kbps'],
  ['UpstreamMaxRate', 'attainable_rate_up_kbps'],
];

// Reported in 0.1 dB.
const TENTHS: readonly [string, LineMetricKey][] = [
  ['DownstreamNoiseMargin', 'snr_margin_down_db'],
  ['UpstreamNoiseMargin', 'snr_margin_up_db'],
  ['DownstreamAttenuation', 'attenuation_down_db'],
  ['UpstreamAttenuation', 'attenuation_up_db'],
];

// Plain counters: near end (`New…`) is downstream, far end (`NewATUC…`) upstream.
const COUNTS: readonly [string, LineMetricKey][] = [
  ['CRCErrors', 'crc_errors_down'],
  ['ATUCCRCErrors', 'crc_errors_up'],
  ['FECErrors', 'fec_errors_down'],
  ['ATUCFECErrors', 'fec_errors_up'],
  ['HECErrors', 'hec_errors_down'],
  ['ATUCHECErrors', 'hec_errors_up'],
  ['ErroredSecs', 'es_down_s'],
  ['SeverelyErroredSecs', 'ses_down_s'],
  ['LinkRetrain', 'retrain_count'],
];

/** Why a TR-064 reply carries no data (a SOAP fault), or `undefined`. */
export function tr064Fault(input: NormalizedText): string | undefined {
  if (!/<(?:\w+:)?Fault\b/.test(input.text)) return undefined;
  const code = /<errorCode>\s*([^<]*?)\s*</.exec(input.text)?.[1];
  const desc =
    /<errorDescription>\s*([^<]*?)\s*</.exec(input.text)?.[1] ?? /<faultstring>\s*([^<]*?)\s*</.exec(input.text)?.[1];
  return `TR-064 SOAP fault${code ? ` ${code}` : ''}${desc ? `: ${desc}` : ''}`;
}

/**
 * AVM / TR-064 `WANDSLInterfaceConfig:1` replies (`GetInfo`, `GetStatisticsTotal`,
 * `GetStatisticsShowtime`). Transmit powers are left out: their encoding differs by firmware.
 */
export function parseTr064(input: NormalizedText): LineStatus {
  const fields = new Map<string, string>();
  const keep = (name: string | undefined, value: string | undefined): void => {
    if (name !== undefined && value !== undefined && !fields.has(name)) fields.set(name, value);
  };
  for (const m of input.text.matchAll(/<(?:\w+:)?New(\w+)\s*>\s*([^<]*?)\s*<\/(?:\w+:)?New\1\s*>/g)) keep(m[1], m[2]);
  // The same output arguments as other tools print them: `"NewStatus": "Up",` (JSON),
  // `'NewDownstreamCurrRate': 63679,` (a Python dict, e.g. fritzconnection), `NewStatus: Up`.
  for (const m of input.text.matchAll(
    /^[\s{,]*(['"]?)New(\w+)\1\s*[:=]\s*(?:(['"])(.*?)\3|([^\s,'"{}]+))\s*[,}]?\s*$/gm,
  ))
    keep(m[2], m[4] ?? m[5]);
  // PHP `print_r` of the same arguments: `[NewDownstreamCurrRate] => 12442`.
  for (const m of input.text.matchAll(/^\s*\[New(\w+)\]\s*=>\s*(.*?)\s*$/gm)) keep(m[1], m[2]);
  const b = new StatusBuilder();
  // `NewStatus` (GetInfo), or `NewLinkStatus` of AVM's X_AVM-DE_GetDSLInfo when only that was asked.
  b.text('state', fields.get('Status') ?? fields.get('LinkStatus'));
  b.text('mode', fields.get('ModulationType'));
  b.text('profile', fields.get('CurrentProfile'));
  for (const [name, key] of RATES) b.metric(key, toNumber(fields.get(name)));
  for (const [name, key] of TENTHS) {
    const v = toNumber(fields.get(name));
    b.metric(key, v === undefined ? undefined : v / 10);
  }
  for (const [name, key] of COUNTS) b.metric(key, toNumber(fields.get(name)));

  let scope: CountersScope = 'unknown';
  // The action's name, from the SOAP response element or wherever a tool printed it.
  if (/GetStatisticsShowtime/.test(input.text)) scope = 'since_sync';
  else if (/GetStatisticsTotal/.test(input.text)) scope = 'total';
  return b.build(classifyTr064State, scope);
}

/** TR-064 `NewStatus`: `Up`, `EstablishingLink`, `Initializing`, `NoSignal`, `Disabled`, `Error`. */
export function classifyTr064State(state: string): StateClass {
  const s = state.toLowerCase().replace(/[\s_-]/g, '');
  if (s === 'up' || s === 'showtime') return 'showtime';
  if (s === 'establishinglink' || s === 'training') return 'training';
  if (s === 'initializing' || s === 'nosignal' || s === 'disabled' || s === 'down') return 'down';
  if (s === 'idle') return 'idle';
  if (s === 'error') return 'error';
  return 'unknown';
}
