import type { NormalizedText } from './normalize-text.js';
import { toNumber } from './numbers.js';
import { StatusBuilder } from './status-builder.js';
import type { LineMetricKey, LineStatus, StateClass } from './types.js';

/**
 * The value text after `label:` on the first line that has it. The label may follow other text
 * after whitespace: copies of this output with redacted addresses keep damaged line starts
 * (`xx  Attenuation [dB]: ...`), and the value columns are still where the device put them.
 */
function valueOf(lines: readonly string[], label: string): string | undefined {
  const pattern = new RegExp(String.raw`(?:^|\s)${label}\s*:\s*(.*)$`, 'i');
  for (const line of lines) {
    const m = pattern.exec(line);
    if (m) return (m[1] ?? '').trim();
  }
  return undefined;
}

/**
 * The first two columns of a value, each a plain number or nothing: `5.5  2xx` gives `[5.5,
 * undefined]`, so a damaged column is left out rather than read as a guess.
 */
function twoColumns(text: string | undefined): [number | undefined, number | undefined] {
  const [a, b] = (text ?? '').split(/\s+/);
  return [toNumber(a), toNumber(b)];
}

// `6 days, 16:17:26`; the word is localised (`0 jours, 1:06:47`), so any word is taken as days.
const UPTIME = /^(?:(\d+)\s*\p{L}+\s*,\s*)?(\d+):(\d{2}):(\d{2})$/u;

function uptimeSeconds(text: string | undefined): number | undefined {
  const m = UPTIME.exec(text ?? '');
  if (!m) return undefined;
  const n = (i: number): number => Number(m[i] ?? 0);
  return n(1) * 86400 + n(2) * 3600 + n(3) * 60 + n(4);
}

// Counters of `xdsl info` with counters: near end (counted at the modem) = downstream.
const COUNTERS: readonly [string, LineMetricKey, LineMetricKey][] = [
  [String.raw`Code Violation \(CV\)`, 'crc_errors_down', 'crc_errors_up'],
  ['FEC', 'fec_errors_down', 'fec_errors_up'],
  [String.raw`HEC violation count \(HEC\)`, 'hec_errors_down', 'hec_errors_up'],
  [String.raw`Error second \(ES\)`, 'es_down_s', 'es_up_s'],
  [String.raw`Severely error(?:ed)? second \(SES\)`, 'ses_down_s', 'ses_up_s'],
  [String.raw`Unavailable second \(UAS\)`, 'uas_down_s', 'uas_up_s'],
];

/**
 * Technicolor / Thomson gateway CLI `xdsl info` (`:xdsl info`, with `expand=enabled` or a
 * counter filter for more). The short form gives state, uptime, type and the down/up bandwidth;
 * the long form adds per-direction columns (`DS  US`: payload rate, attenuation, margins,
 * output power) and G.997.1 counters in `Near end  Far end` columns.
 */
export function parseTechnicolor(input: NormalizedText): LineStatus {
  const { lines } = input;
  const b = new StatusBuilder();
  b.text('state', valueOf(lines, 'Modem state'));
  b.text('mode', valueOf(lines, String.raw`xDSL Standard`) ?? valueOf(lines, String.raw`xDSL Type`));
  b.metric('uptime_s', uptimeSeconds(valueOf(lines, String.raw`Up time \(Days hh:mm:ss\)`)));
  b.metric('retrain_count', toNumber(valueOf(lines, 'Number of reset')));

  const [payloadDown, payloadUp] = twoColumns(valueOf(lines, String.raw`Payload rate \[kbps\]`));
  const bandwidth = /^(\d+)\s*\/\s*(\d+)$/.exec(valueOf(lines, String.raw`Bandwidth \(Down/Up - kbit/s\)`) ?? '');
  b.pair(
    'sync_rate_down_kbps',
    'sync_rate_up_kbps',
    payloadDown ?? toNumber(bandwidth?.[1]),
    payloadUp ?? toNumber(bandwidth?.[2]),
  );
  b.pair('attenuation_down_db', 'attenuation_up_db', ...twoColumns(valueOf(lines, String.raw`Attenuation \[dB\]`)));
  b.pair('snr_margin_down_db', 'snr_margin_up_db', ...twoColumns(valueOf(lines, String.raw`Margins? \[dB\]`)));
  b.pair(
    'output_power_down_dbm',
    'output_power_up_dbm',
    ...twoColumns(valueOf(lines, String.raw`Output power \[dBm\]`)),
  );
  for (const [label, down, up] of COUNTERS) b.pair(down, up, ...twoColumns(valueOf(lines, label)));
  // The counters shown depend on the period asked for (`counter_period_filter`), not on the sync.
  return b.build(classifyTechnicolorState, 'unknown');
}

/** `Modem state:` words: `up`, `down`, `initializing`, `training`, ... */
export function classifyTechnicolorState(state: string): StateClass {
  const s = state.toLowerCase();
  if (/^up\b|showtime/.test(s)) return 'showtime';
  if (/train|init|handshak|start|sync|connecting/.test(s)) return 'training';
  if (/idle|ready/.test(s)) return 'idle';
  if (/down|disabled|no signal|not connected/.test(s)) return 'down';
  if (/error|fail/.test(s)) return 'error';
  return 'unknown';
}
