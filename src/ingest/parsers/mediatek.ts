import { matchLine } from './line-match.js';
import type { NormalizedText } from './normalize-text.js';
import { firstNumber, parseDurationSeconds, sumPresent, toNumber } from './numbers.js';
import { StatusBuilder } from './status-builder.js';
import type { LineMetricKey, LineStatus, StateClass } from './types.js';

/**
 * MediaTek / TrendChip `/proc/tc3162/adsl_stats` and the ZyNOS/TrendChip telnet
 * `wan adsl status|chandata|linedata|perfdata|shownoise` outputs, which share their labels.
 * Levels are keyed by the direction in their own label (`output power upstream`), not by
 * the heading they are printed under: the firmware prints them under the opposite heading.
 */
export function parseMediatek(input: NormalizedText): LineStatus {
  const { lines } = input;
  const b = new StatusBuilder();
  const value = (label: string): string | undefined =>
    matchLine(lines, new RegExp(String.raw`^\s*${label}\s*:\s*(.*?)\s*$`, 'i'))?.[1];

  // ZyXEL's `dsllinestatus` heads the same report with `Line State:` and `Modulation:`.
  b.text('state', value(String.raw`(?:ADSL\s+link\s+status|current\s+modem\s+status|Line\s+State)`));
  b.text('mode', value(String.raw`(?:Opmode|operational\s+mode|Modulation)`));

  const perChannel = (prefix: string): number | undefined =>
    sumPresent(
      firstNumber(value(String.raw`${prefix}\s+interleaved\s+channel\s+bit\s+rate`)),
      firstNumber(value(String.raw`${prefix}\s+fast\s+channel\s+bit\s+rate`)),
    );
  b.pair('sync_rate_down_kbps', 'sync_rate_up_kbps', perChannel('near-end'), perChannel('far-end'));

  const counters: [string, LineMetricKey, LineMetricKey][] = [
    ['FEC', 'fec_errors_down', 'fec_errors_up'],
    ['CRC', 'crc_errors_down', 'crc_errors_up'],
    ['HEC', 'hec_errors_down', 'hec_errors_up'],
  ];
  for (const [name, down, up] of counters) {
    const count = (end: string): number | undefined =>
      sumPresent(
        toNumber(value(String.raw`${end}\s+${name}\s+error\s+fast`)),
        toNumber(value(String.raw`${end}\s+${name}\s+error\s+interleaved`)),
      );
    b.pair(down, up, count('near-end'), count('far-end'));
  }

  const level = (label: string): number | undefined => firstNumber(value(label));
  // `noise margin downstream: 7.5 db` (adsl_stats, `wan adsl linedata`) or, from `wan adsl shownoise`,
  // `Noise Margin (Downstream) : 7.5 db`.
  const directed = (name: string, dir: string): string => String.raw`${name}\s+(?:${dir}|\(${dir}\))`;
  b.pair(
    'snr_margin_down_db',
    'snr_margin_up_db',
    level(directed(String.raw`noise\s+margin`, 'downstream')),
    level(directed(String.raw`noise\s+margin`, 'upstream')),
  );
  b.pair(
    'attenuation_down_db',
    'attenuation_up_db',
    level(directed('attenuation', 'downstream')),
    level(directed('attenuation', 'upstream')),
  );
  b.pair(
    'output_power_down_dbm',
    'output_power_up_dbm',
    level(String.raw`output\s+power\s+downstream`),
    level(String.raw`output\s+power\s+upstream`),
  );

  // `ADSL uptime : 1:55, 5 secs`, `DSL uptime : 9:07, 17 secs`; `wan adsl perfdata` prints no colon.
  const uptime = matchLine(lines, /^\s*(?:ADSL|x?DSL)\s+uptime\s*:?\s*(\S.*?)\s*$/i)?.[1];
  b.metric('uptime_s', uptime === undefined ? undefined : parseDurationSeconds(uptime));
  // `wan adsl perfdata`: errored seconds with no direction, since the modem started.
  b.metric('es_s', toNumber(value(String.raw`Error\s+second\s+after\s+power-up`)));
  return b.build(classifyMediatekState, 'unknown');
}

/** TrendChip `ADSL link status:` / `current modem status:`: `up`, `initializing`, `wait for initialization`, `down`. */
export function classifyMediatekState(state: string): StateClass {
  const s = state.toLowerCase();
  if (/^(?:up|showtime)\b/.test(s)) return 'showtime';
  if (/^wait\s+for\s+init/.test(s) || /^idle/.test(s)) return 'idle';
  if (/init|handshak|training|activat/.test(s)) return 'training';
  if (/^down|no signal|disabled/.test(s)) return 'down';
  if (/error|fail/.test(s)) return 'error';
  return 'unknown';
}
