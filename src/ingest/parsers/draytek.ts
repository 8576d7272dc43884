import { matchLine } from './line-match.js';
import type { NormalizedText } from './normalize-text.js';
import { toKbps, toNumber } from './numbers.js';
import { StatusBuilder } from './status-builder.js';
import type { LineMetricKey, LineStatus, StateClass } from './types.js';

// `vdsl status more` rows: Near End (down) and Far End (up) columns.
const MORE_ROWS: Readonly<Record<string, [LineMetricKey, LineMetricKey]>> = {
  fecs: ['fecs_down_s', 'fecs_up_s'],
  es: ['es_down_s', 'es_up_s'],
  ses: ['ses_down_s', 'ses_up_s'],
  loss: ['loss_down_s', 'loss_up_s'],
  uas: ['uas_down_s', 'uas_up_s'],
  hecerror: ['hec_errors_down', 'hec_errors_up'],
  crc: ['crc_errors_down', 'crc_errors_up'],
  rscorrection: ['fec_errors_down', 'fec_errors_up'],
};

// Where a label starts: at the start of a line, or after the previous pair's value and 2+ blanks,
// a tab, or one blank after a unit (`15 dB Cur SNR Margin : 12 dB` when the value fills its
// column). A run of blanks may only be entered at its first character: tried at every one, a
// long run would cost its length squared for each label.
const LABEL_START = String.raw`(?:^\s*|(?<!\s)\s{2,}|(?<!\s)\t|(?<=\b(?:dBm?|[kmg]?bps)) )`;

const VDSL2_PROFILE = /^(?:8[abcd]|12[ab]|17a|30a|35b)$/i;

/**
 * DrayTek Vigor `vdsl status` / `adsl status` (two `Label : value` pairs per row) and
 * `vdsl status more` (a Near End / Far End table). Rates are printed in bps.
 */
export function parseDraytek(input: NormalizedText): LineStatus {
  const { lines } = input;
  const b = new StatusBuilder();
  const field = (label: string, value = String.raw`(-?\d+(?:\.\d+)?)`): string | undefined =>
    matchLine(lines, new RegExp(String.raw`${LABEL_START}${label}\s*:\s*${value}`, 'i'))?.[1];

  b.text('state', field('State', String.raw`([A-Za-z][\w.]*(?: [A-Za-z][\w.]*)*)`));
  // Empty while the line trains: the next label (`State :`) is not a value.
  const running = field(
    String.raw`Running\s+Mode`,
    String.raw`((?![A-Za-z][\w ]*?\s*:)\S+(?: \S+)*?)(?=\s{2,}|\s+State\s*:|$)`,
  );
  if (running !== undefined && VDSL2_PROFILE.test(running)) {
    // VDSL firmwares print the profile (`17A`) where ADSL firmwares print the mode; the
    // standard itself is not printed, so no mode is claimed.
    b.text('profile', running.toLowerCase());
  } else {
    b.text('mode', running);
  }

  const rate = (label: string): number | undefined => {
    const m = new RegExp(String.raw`${LABEL_START}${label}\s*:\s*(\d+)\s*([kmg]?bps)`, 'i');
    const hit = matchLine(lines, m);
    return hit ? toKbps(toNumber(hit[1]), hit[2] ?? '') : undefined;
  };
  b.pair(
    'sync_rate_down_kbps',
    'sync_rate_up_kbps',
    rate(String.raw`DS\s+Actual\s+Rate`),
    rate(String.raw`US\s+Actual\s+Rate`),
  );
  b.pair(
    'attainable_rate_down_kbps',
    'attainable_rate_up_kbps',
    rate(String.raw`DS\s+Attainable\s+Rate`),
    rate(String.raw`US\s+Attainable\s+Rate`),
  );
  const num = (label: string): number | undefined => toNumber(field(label));
  b.pair(
    'attenuation_down_db',
    'attenuation_up_db',
    num(String.raw`NE\s+Current\s+Attenuation`),
    num(String.raw`Far\s+Current\s+Attenuation`),
  );
  b.pair(
    'snr_margin_down_db',
    'snr_margin_up_db',
    num(String.raw`Cur\s+SNR\s+Margin`),
    num(String.raw`Far\s+SNR\s+Margin`),
  );
  // Transmit powers: the far end (the central office) sends downstream, the near end upstream.
  b.pair(
    'output_power_down_dbm',
    'output_power_up_dbm',
    num(String.raw`FE\s+Tx\s+Power`),
    num(String.raw`NE\s+Tx\s+Power`),
  );
  b.pair('crc_errors_down', 'crc_errors_up', num(String.raw`NE\s+CRC\s+Count`), num(String.raw`FE\s+CRC\s+Count`));
  b.pair('es_down_s', 'es_up_s', num(String.raw`NE\s+ES\s+Count`), num(String.raw`FE\s+ES\s+Count`));
  b.metric('retrain_count', num(String.raw`Xdsl\s+Reset\s+Times`));

  for (const line of lines) {
    const m = /^\s*([A-Za-z]\w*)\s*:\s*(-?\d+|-+)\s+(-?\d+|-+)(?:\s|$)/.exec(line);
    const keys = m ? MORE_ROWS[(m[1] ?? '').toLowerCase()] : undefined;
    if (m && keys && !b.has(keys[0]) && !b.has(keys[1])) b.pair(keys[0], keys[1], toNumber(m[2]), toNumber(m[3]));
  }
  return b.build(classifyDraytekState, 'unknown');
}

/** DrayTek `State`: `SHOWTIME`, `TRAINING`, `READY`, ... */
export function classifyDraytekState(state: string): StateClass {
  const s = state.toLowerCase();
  if (/showtime/.test(s)) return 'showtime';
  if (/training|handshak|activat|init|detect|exchange|analysis|start/.test(s)) return 'training';
  if (/ready|idle/.test(s)) return 'idle';
  if (/down|disabled|no signal|los\b|not connected/.test(s)) return 'down';
  if (/error|fail/.test(s)) return 'error';
  return 'unknown';
}
