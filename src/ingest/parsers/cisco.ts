import { matchLine } from './line-match.js';
import type { NormalizedText } from './normalize-text.js';
import { allNumbers, sumPresent, toNumber } from './numbers.js';
import { StatusBuilder } from './status-builder.js';
import type { LineMetricKey, LineStatus, StateClass } from './types.js';

/**
 * Cisco IOS `show dsl interface atm0` (ADSL, `ATU-R (DS)  ATU-C (US)` columns) and
 * `show controller(s) vdsl 0` (`XTU-R (DS)  XTU-C (US)`). The first column is the CPE's, the
 * second the central office's; output power is per transmitter, so the first column is the CPE
 * transmitting upstream. The rate and error table has two latency paths per direction
 * (Interleave/Fast, or Channel1/Channel0, `NA` where unused), which are summed.
 */
export function parseCisco(input: NormalizedText): LineStatus {
  const { lines } = input;
  const b = new StatusBuilder();
  const value = (label: string): string | undefined =>
    matchLine(lines, new RegExp(String.raw`^\s*${label}\s*:\s*(.*?)\s*$`, 'i'))?.[1];

  b.text('state', value(String.raw`Modem\s+Status`));
  const trained = value(String.raw`Trained\s+Mode`);
  const profile = trained === undefined ? undefined : /^(.*?)\s+Profile\s+(\S+)\s*$/i.exec(trained);
  b.text('mode', value(String.raw`DSL\s+Mode`) ?? (profile ? profile[1] : trained));
  b.text('profile', profile?.[2]);

  b.pair('snr_margin_down_db', 'snr_margin_up_db', ...columns(value(String.raw`Noise\s+Margin`), 'dB'));
  b.pair(
    'attenuation_down_db',
    'attenuation_up_db',
    ...columns(value('Attenuation') ?? value(String.raw`Line\s+Attenuation`), 'dB'),
  );
  const [cpePower, coPower] = columns(value(String.raw`Output\s+Power`) ?? value(String.raw`Actual\s+Power`), 'dBm');
  b.pair('output_power_down_dbm', 'output_power_up_dbm', coPower, cpePower);
  b.pair(
    'attainable_rate_down_kbps',
    'attainable_rate_up_kbps',
    ...columns(value(String.raw`Attainable\s+Rate`), 'kbits/s'),
  );

  const table: [string, LineMetricKey, LineMetricKey][] = [
    [String.raw`Speed\s*\(kbps\)`, 'sync_rate_down_kbps', 'sync_rate_up_kbps'],
    [String.raw`Reed-Solomon\s+EC`, 'fec_errors_down', 'fec_errors_up'],
    [String.raw`CRC\s+Errors`, 'crc_errors_down', 'crc_errors_up'],
    [String.raw`Header\s+Errors`, 'hec_errors_down', 'hec_errors_up'],
  ];
  for (const [label, down, up] of table) {
    const cells = (value(label) ?? '').split(/\s+/);
    if (cells.length !== 4 || !cells.every((c) => toNumber(c) !== undefined || UNUSED.test(c))) continue;
    const n = cells.map((c) => toNumber(c));
    b.pair(down, up, sumPresent(n[0], n[1]), sumPresent(n[2], n[3]));
  }

  const seconds: [string, LineMetricKey, LineMetricKey][] = [
    ['ES', 'es_down_s', 'es_up_s'],
    ['SES', 'ses_down_s', 'ses_up_s'],
    ['UAS', 'uas_down_s', 'uas_up_s'],
    ['LOSS', 'loss_down_s', 'loss_up_s'],
  ];
  for (const [label, down, up] of seconds) b.pair(down, up, ...columns(value(String.raw`Total\s+${label}`)));
  return b.build(classifyCiscoState, 'unknown');
}

// A path the line does not use.
const UNUSED = /^(?:NA|N\/A|-)$/i;

/**
 * The two columns of a `Label:  <CPE>  <CO>` row. With a unit, each cell is `[number] unit`, and a
 * cell printed as the unit alone (`9.7 dB   dB`) is absent; a sign may stand apart (`- 8.5 dBm`).
 * Without one, the row must hold exactly two numbers.
 */
function columns(text: string | undefined, unit?: string): [number | undefined, number | undefined] {
  if (text === undefined) return [undefined, undefined];
  if (unit === undefined) {
    const nums = allNumbers(text);
    return nums.length === 2 ? [nums[0], nums[1]] : [undefined, undefined];
  }
  const escaped = unit.replace(/[.*+?^${}()|[\]\\/]/g, String.raw`\$&`);
  const cells = [
    ...text.matchAll(new RegExp(String.raw`(?:([-+])\s*)?(\d+(?:\.\d+)?)?\s*${escaped}(?![\w/])`, 'gi')),
  ].map((m) => (m[2] === undefined ? undefined : toNumber(`${m[1] ?? ''}${m[2]}`)));
  return cells.length === 2 ? [cells[0], cells[1]] : [undefined, undefined];
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
