import { matchLine, matchLines } from './line-match.js';
import { parseLantiqLucistat } from './lantiq-lucistat.js';
import { classifyLantiqState } from './lantiq-state.js';
import type { NormalizedText } from './normalize-text.js';
import { parseDurationSeconds, toKbps, toNumber } from './numbers.js';
import { StatusBuilder } from './status-builder.js';
import type { LineMetricKey, LineStatus } from './types.js';

// `(FECS): Near: 0 / Far: 2154` rows; near end = downstream.
const ERROR_ROWS: Readonly<Record<string, [LineMetricKey, LineMetricKey]>> = {
  fecs: ['fecs_down_s', 'fecs_up_s'],
  es: ['es_down_s', 'es_up_s'],
  ses: ['ses_down_s', 'ses_up_s'],
  loss: ['loss_down_s', 'loss_up_s'],
  uas: ['uas_down_s', 'uas_up_s'],
  hec: ['hec_errors_down', 'hec_errors_up'],
  crc_p: ['crc_errors_down', 'crc_errors_up'],
};

/**
 * Lantiq / OpenWrt `/etc/init.d/dsl_control status` (old tab-separated and newer aligned
 * layouts) and `/etc/init.d/dsl_control lucistat` (`dsl.key=value`). Error counters come from
 * the DSL API's "total" counters.
 */
export function parseLantiq(input: NormalizedText): LineStatus {
  if (input.lines.some((l) => /^\s*dsl\.\w+\s*=/.test(l))) return parseLantiqLucistat(input.lines);
  const { lines } = input;
  const b = new StatusBuilder();
  const value = (label: string): string | undefined =>
    matchLine(lines, new RegExp(String.raw`^\s*${label}\s*:\s*(.*)$`, 'i'))?.[1];

  const stateText = value(String.raw`Line\s+State`);
  const st = /^(\S+)\s*(?:\[\s*(0x[0-9a-f]+)?\s*:?\s*([^\]]*)\])?/i.exec(stateText ?? '');
  b.text('state', st?.[1]);
  b.text('state_detail', st?.[3]);
  b.text('mode', value(String.raw`Line\s+Mode`));
  b.text('profile', value('Profile')?.replace(/^Profile\s+/i, ''));

  const rates = (label: string): [number | undefined, number | undefined] =>
    splitPair(value(label)).map((p) => {
      const m = /(\d+(?:\.\d+)?)\s*([kmg]?b(?:it)?\/s|[kmg]?bps)/i.exec(p ?? '');
      return m ? toKbps(toNumber(m[1]), m[2] ?? '') : undefined;
    }) as [number | undefined, number | undefined];
  const levels = (label: string): [number | undefined, number | undefined] =>
    splitPair(value(label)).map((p) => toNumber(/^(-?\d+(?:\.\d+)?)/.exec(p ?? '')?.[1])) as [
      number | undefined,
      number | undefined,
    ];

  b.pair('sync_rate_down_kbps', 'sync_rate_up_kbps', ...rates(String.raw`Data\s+Rate`));
  b.pair(
    'attainable_rate_down_kbps',
    'attainable_rate_up_kbps',
    ...rates(String.raw`Max\.?\s+Attainable\s+Data\s+Rate(?:\s*\(ATTNDR\))?`),
  );
  b.pair('attenuation_down_db', 'attenuation_up_db', ...levels(String.raw`Line\s+Attenuation(?:\s*\(LATN\))?`));
  b.pair(
    'signal_attenuation_down_db',
    'signal_attenuation_up_db',
    ...levels(String.raw`Signal\s+Attenuation(?:\s*\(SATN\))?`),
  );
  b.pair('snr_margin_down_db', 'snr_margin_up_db', ...levels(String.raw`Noise\s+Margin(?:\s*\(SNR\))?`));
  b.pair(
    'output_power_down_dbm',
    'output_power_up_dbm',
    ...levels(String.raw`Aggregate\s+Transmit\s+Power(?:\s*\(ACTATP\))?`),
  );

  for (const m of matchLines(lines, /\((\w+)\)\s*:\s*Near:\s*(\d+)\s*\/\s*Far:\s*(\d+)/i)) {
    const keys = ERROR_ROWS[(m[1] ?? '').toLowerCase()];
    if (keys) b.pair(keys[0], keys[1], toNumber(m[2]), toNumber(m[3]));
  }

  const uptimeSeconds = toNumber(value(String.raw`Line\s+Uptime\s+Seconds`));
  const uptimeText = value(String.raw`Line\s+Uptime`);
  b.metric('uptime_s', uptimeSeconds ?? (uptimeText === undefined ? undefined : parseDurationSeconds(uptimeText)));

  return b.build((state) => classifyLantiqState(state, st?.[3], st?.[2]), 'total');
}

// `Down: 12.5 dB / Up: 13.8 dB` or the old `21.3dB / 10.6dB`: down first, then up.
function splitPair(text: string | undefined): [string | undefined, string | undefined] {
  if (text === undefined) return [undefined, undefined];
  const parts = text.split(/\s+\/\s+/).map((p) => p.replace(/^\s*(?:down|up|near|far)\s*:\s*/i, '').trim());
  return parts.length === 2 ? [parts[0], parts[1]] : [undefined, undefined];
}
