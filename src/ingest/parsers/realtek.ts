import { matchLine } from './line-match.js';
import type { NormalizedText } from './normalize-text.js';
import { firstNumber, toKbps, toNumber } from './numbers.js';
import { StatusBuilder } from './status-builder.js';
import type { LineMetricKey, LineStatus, StateClass } from './types.js';

/** Realtek RTL867x `show adsl`: `Label   value` rows without colons. */
export function parseRealtek(input: NormalizedText): LineStatus {
  const { lines } = input;
  const b = new StatusBuilder();
  const value = (label: string): string | undefined =>
    matchLine(lines, new RegExp(String.raw`^\s*${label}\s*:?\s+(\S.*)$`, 'i'))?.[1];

  b.text('state', value(String.raw`Adsl\s+Line\s+Status`));
  b.text('mode', value(String.raw`Adsl\s+Mode`));
  const rate = (label: string): number | undefined => {
    const m = /^(\d+(?:\.\d+)?)\s*([a-z/]*)/i.exec(value(label) ?? '');
    return m ? toKbps(toNumber(m[1]), m[2] || 'kbps') : undefined;
  };
  b.pair('sync_rate_down_kbps', 'sync_rate_up_kbps', rate(String.raw`Down\s*Stream`), rate(String.raw`Up\s*Stream`));
  const num = (label: string): number | undefined => firstNumber(value(label));
  b.pair(
    'attenuation_down_db',
    'attenuation_up_db',
    num(String.raw`Attenuation\s+Down\s*Stream`),
    num(String.raw`Attenuation\s+Up\s*Stream`),
  );
  b.pair(
    'snr_margin_down_db',
    'snr_margin_up_db',
    num(String.raw`SNR\s+Margin\s+Down\s*Stream`),
    num(String.raw`SNR\s+Margin\s+Up\s*Stream`),
  );
  const counters: [string, LineMetricKey, LineMetricKey][] = [
    ['CRC', 'crc_errors_down', 'crc_errors_up'],
    ['FEC', 'fec_errors_down', 'fec_errors_up'],
    ['HEC', 'hec_errors_down', 'hec_errors_up'],
  ];
  for (const [name, down, up] of counters) {
    b.pair(down, up, num(String.raw`${name}\s+down\s*stream`), num(String.raw`${name}\s+up\s*stream`));
  }
  // The device prints ES/SES without a direction.
  b.metric('es_s', toNumber(value('ES')));
  b.metric('ses_s', toNumber(value('SES')));
  return b.build(classifyRealtekState, 'unknown');
}

/** Realtek `Adsl Line Status`: `SHOWTIME`, `ACTIVATING`, `IDLE`, ... */
export function classifyRealtekState(state: string): StateClass {
  const s = state.toLowerCase();
  if (/showtime/.test(s)) return 'showtime';
  if (/activat|training|handshak|init|start|exchange|analysis/.test(s)) return 'training';
  if (/idle|ready/.test(s)) return 'idle';
  if (/down|disabled|no signal|los\b|not connected/.test(s)) return 'down';
  if (/error|fail/.test(s)) return 'error';
  return 'unknown';
}
