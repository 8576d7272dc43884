import { classifyLantiqState } from './lantiq-state.js';
import type { NormalizedText } from './normalize-text.js';
import { toKbps, toNumber } from './numbers.js';
import { StatusBuilder } from './status-builder.js';
import type { LineMetricKey, LineStatus, StateClass } from './types.js';

// What each row of the two value arrays holds, as the page's own `dsl_title` names it.
const TITLE_KEYS: Readonly<Record<string, readonly [LineMetricKey, LineMetricKey, 'rate' | 'number']>> = {
  'actual data rate': ['sync_rate_down_kbps', 'sync_rate_up_kbps', 'rate'],
  'attainable data rate': ['attainable_rate_down_kbps', 'attainable_rate_up_kbps', 'rate'],
  'snr margin': ['snr_margin_down_db', 'snr_margin_up_db', 'number'],
  'line attenuation': ['attenuation_down_db', 'attenuation_up_db', 'number'],
  'crc error count': ['crc_errors_down', 'crc_errors_up', 'number'],
  'hec error count': ['hec_errors_down', 'hec_errors_up', 'number'],
  'fec error count': ['fec_errors_down', 'fec_errors_up', 'number'],
};

// The row order of the W 925V page, for a page that leaves its `dsl_title` out.
const DEFAULT_TITLES = [
  'Actual Data Rate',
  'Attainable Data Rate',
  'SNR Margin',
  'Signal-level',
  'Line Attenuation',
  'BIN allocation',
  'Codeword Size',
  'Interleave delay',
  'CRC Error Count',
  'HEC Error Count',
  'FEC Error Count',
];

/** `" 46719 Kbps"` -> 46719 in the unit given; `undefined` for anything else. */
function valueOf(text: string | undefined, kind: 'rate' | 'number'): number | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z/]*)\s*$/.exec(text);
  if (!m) return undefined;
  const n = toNumber(m[1]);
  return kind === 'rate' ? toKbps(n, m[2] !== undefined && m[2] !== '' ? m[2] : 'kbps') : n;
}

/**
 * Telekom Speedport engineer page (`/engineer/html/dsl_hidden_status.stm`): JavaScript
 * variables, `var dsl_state = " 0x801 (showtime)";` and the rows `upstream_status[i]` /
 * `downstream_status[i]` named by `dsl_title`. The state is the Lantiq line state of the modem.
 */
export function parseSpeedport(input: NormalizedText): LineStatus {
  const text = input.text;
  const vars = new Map<string, string>();
  for (const m of text.matchAll(/\bvar\s+(\w+)\s*=\s*(["'])(.*?)\2\s*;/g)) vars.set(m[1] ?? '', m[3] ?? '');
  const rows = { up: new Map<number, string>(), down: new Map<number, string>() };
  for (const m of text.matchAll(/\b(up|down)stream_status\[(\d+)\]\s*=\s*(["'])(.*?)\3\s*;/g)) {
    rows[m[1] === 'up' ? 'up' : 'down'].set(Number(m[2]), m[4] ?? '');
  }
  const titleList = /\bdsl_title\s*=\s*new\s+Array\s*\(([^)]*)\)/.exec(text)?.[1];
  const titles =
    titleList === undefined ? DEFAULT_TITLES : [...titleList.matchAll(/(["'])(.*?)\1/g)].map((m) => m[2] ?? '');

  const b = new StatusBuilder();
  const state = vars.get('dsl_state')?.trim();
  b.text('state', state);
  b.text('mode', (vars.get('dsl_opmode') ?? vars.get('dsl_training'))?.trim());
  titles.forEach((title, i) => {
    const keys = TITLE_KEYS[title.trim().toLowerCase()];
    if (keys === undefined) return;
    b.pair(keys[0], keys[1], valueOf(rows.down.get(i), keys[2]), valueOf(rows.up.get(i), keys[2]));
  });
  return b.build(classifySpeedportState, 'unknown');
}

/** `0x801 (showtime)`: the Lantiq code decides, then the word in brackets. */
export function classifySpeedportState(state: string): StateClass {
  const code = /^\s*(0x[0-9a-f]+)/i.exec(state)?.[1];
  const detail = /\(([^)]*)\)/.exec(state)?.[1];
  return classifyLantiqState(state, detail, code);
}
