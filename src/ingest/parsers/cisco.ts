import { matchLine } from './line-match.js';
import type { NormalizedText } from './normalize-text.js';
import { allNumbers, sumPresent, toNumber } from './numbers.js';
import { StatusBuilder } from './status-builder.js';
import type { LineMetricKey, LineStatus, StateClass } from './types.js';

/**
 * Cisco IOS `show dsl interface atm0`. Columns are ATU-R (downstream) then ATU-C (upstream);
 * the counter table has Interleave and Fast per direction, which are summed. Output power
 * is per transmitter: the ATU-R column is the CPE transmitting upstream.
 */
export function parseCisco(input: NormalizedText): LineStatus {
  const { lines } = input;
  const b = new StatusBuilder();
  const value = (label: string): string | undefined =>
    matchLine(lines, new RegExp(String.raw`^\s*${label}\s*:\s*(.*?)\s*$`, 'i'))?.[1];

  b.text('state', value(String.raw`Modem\s+Status`));
  b.text('mode', value(String.raw`DSL\s+Mode`));

  const columns = (label: string): [number | undefined, number | undefined] => {
    const nums = allNumbers(value(label) ?? '');
    return nums.length === 2 ? [nums[0], nums[1]] : [undefined, undefined];
  };
  b.pair('snr_margin_down_db', 'snr_margin_up_db', ...columns(String.raw`Noise\s+Margin`));
  b.pair('attenuation_down_db', 'attenuation_up_db', ...columns('Attenuation'));
  const [cpePower, coPower] = columns(String.raw`Output\s+Power`);
  b.pair('output_power_down_dbm', 'output_power_up_dbm', coPower, cpePower);

  const table: [string, LineMetricKey, LineMetricKey][] = [
    [String.raw`Speed\s*\(kbps\)`, 'sync_rate_down_kbps', 'sync_rate_up_kbps'],
    [String.raw`Reed-Solomon\s+EC`, 'fec_errors_down', 'fec_errors_up'],
    [String.raw`CRC\s+Errors`, 'crc_errors_down', 'crc_errors_up'],
    [String.raw`Header\s+Errors`, 'hec_errors_down', 'hec_errors_up'],
  ];
  for (const [label, down, up] of table) {
    const cells = (value(label) ?? '').split(/\s+/).map((c) => toNumber(c));
    if (cells.length !== 4 || cells.some((c) => c === undefined)) continue;
    b.pair(down, up, sumPresent(cells[0], cells[1]), sumPresent(cells[2], cells[3]));
  }
  return b.build(classifyCiscoState, 'unknown');
}

/** Cisco `Modem Status:`: `Showtime (DMTDSL_SHOWTIME)`, `Training (…)`, `Down`, `Shutdown`, ... */
export function classifyCiscoState(state: string): StateClass {
  const s = state.toLowerCase();
  if (/showtime/.test(s)) return 'showtime';
  if (/train|init|handshak|activat|g\.994|negotiat|open/.test(s) && !/^(?:down|shutdown)/.test(s)) return 'training';
  if (/^idle/.test(s)) return 'idle';
  if (/down|shutdown|disabled|no signal|stop/.test(s)) return 'down';
  if (/error|fail/.test(s)) return 'error';
  return 'unknown';
}
