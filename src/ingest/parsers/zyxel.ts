import { classifyBroadcomState } from './broadcom.js';
import { matchLine } from './line-match.js';
import { normalizeText, type NormalizedText } from './normalize-text.js';
import { parseDurationSeconds, toKbps, toNumber } from './numbers.js';
import { StatusBuilder } from './status-builder.js';
import type { CountersScope, LineMetricKey, LineStatus } from './types.js';
import { webPageText } from './web-text.js';

/** One printed value with its unit; ZyXEL writes negative numbers with a blank (`- 3.7 dBm`). */
const VALUE = /(-\s?)?(\d+(?:\.\d+)?)\s*(Mbps|Kbps|kbps|bps|dBm|dB|ms|symbols)?/g;

// The two values of a `Label:  <up> <unit>  <down> <unit>` row; `undefined` unless both are numbers.
function twoValues(rest: string): [{ n: number; unit: string }, { n: number; unit: string }] | undefined {
  if (/N\/A/i.test(rest)) return undefined;
  const vals: { n: number; unit: string }[] = [];
  for (const m of rest.matchAll(VALUE)) {
    const n = toNumber(m[2]);
    if (n === undefined) return undefined;
    vals.push({ n: m[1] !== undefined ? -n : n, unit: m[3] ?? '' });
  }
  const [a, b] = vals;
  return vals.length === 2 && a !== undefined && b !== undefined ? [a, b] : undefined;
}

const RATE_ROWS: readonly [string, LineMetricKey, LineMetricKey][] = [
  [String.raw`Actual\s+Net\s+Data\s+Rate`, 'sync_rate_down_kbps', 'sync_rate_up_kbps'],
  [String.raw`Attainable\s+Net\s+Data\s+Rate`, 'attainable_rate_down_kbps', 'attainable_rate_up_kbps'],
];
const DB_ROWS: readonly [string, LineMetricKey, LineMetricKey][] = [
  [String.raw`SNR\s+Margin`, 'snr_margin_down_db', 'snr_margin_up_db'],
  [String.raw`Total\s+Attenuation`, 'attenuation_down_db', 'attenuation_up_db'],
  // The page's own help: upstream is what the modem transmits, downstream what the exchange does.
  [String.raw`Transmit\s+Power`, 'output_power_down_dbm', 'output_power_up_dbm'],
];
const COUNTER_ROWS: readonly [string, LineMetricKey, LineMetricKey][] = [
  ['FEC', 'fec_errors_down', 'fec_errors_up'],
  ['CRC', 'crc_errors_down', 'crc_errors_up'],
  ['ES', 'es_down_s', 'es_up_s'],
  ['SES', 'ses_down_s', 'ses_up_s'],
  ['UAS', 'uas_down_s', 'uas_up_s'],
];

/**
 * ZyXEL VMG/XMG "xDSL Statistics" page (System Monitor > xDSL Statistics): the text block the
 * page shows, as plain text, inside its HTML, or as the string of a JSON reply. The port table
 * prints Upstream before Downstream; the counters table (when present) Downstream before
 * Upstream, and its `Since Link` block is read, as for Broadcom, whose driver it prints.
 */
export function parseZyxel(input: NormalizedText): LineStatus {
  const { lines } = normalizeText(webPageText(input.text));
  const b = new StatusBuilder();
  const field = (label: string): string | undefined =>
    matchLine(lines, new RegExp(String.raw`^\s*${label}\s*:\s*(.*?)\s*$`, 'i'))?.[1];
  // Without the page's own header or port table this is not the page (a Broadcom CLI output
  // shares its counter rows and `Mode:`), so nothing is read from it.
  const training = field(String.raw`(?:VDSL|xDSL|ADSL)\s+Training\s+Status`);
  const header = matchLine(lines, /Port\s+Details\s+(Upstream|Downstream)\s+(?:Upstream|Downstream)/i);
  if (training === undefined && header === undefined) return b.build(classifyBroadcomState, 'unknown');

  b.text('state', training);
  b.text('mode', field('Mode'));
  b.text('profile', field(String.raw`VDSL2?\s+Profile`)?.replace(/^Profile\s*/i, ''));
  const uptime = field(String.raw`Link\s+Uptime`);
  b.metric('uptime_s', uptime === undefined ? undefined : parseDurationSeconds(uptime));

  // Column order from the table header; ZyXEL prints `Upstream  Downstream`.
  const upFirst = header?.[1]?.toLowerCase() !== 'downstream';
  const row = (label: string): ReturnType<typeof twoValues> => {
    const rest = field(label);
    return rest === undefined ? undefined : twoValues(rest);
  };
  for (const [label, down, up] of RATE_ROWS) {
    const v = row(label);
    if (v === undefined) continue;
    const [u, d] = upFirst ? v : [v[1], v[0]];
    b.pair(down, up, toKbps(d.n, d.unit || 'kbps'), toKbps(u.n, u.unit || 'kbps'));
  }
  for (const [label, down, up] of DB_ROWS) {
    const v = row(label);
    if (v === undefined) continue;
    const [u, d] = upFirst ? v : [v[1], v[0]];
    b.pair(down, up, d.n, u.n);
  }

  let scope: CountersScope = 'unknown';
  const since = sinceLinkBlock(lines);
  if (since !== undefined) {
    scope = 'since_sync';
    for (const [label, down, up] of COUNTER_ROWS) {
      const m = matchLine(since.lines, new RegExp(String.raw`^\s*${label}:\s*(\d+)\s+(\d+)\s*$`));
      if (!m) continue;
      const [first, second] = [toNumber(m[1]), toNumber(m[2])];
      if (since.downFirst) b.pair(down, up, first, second);
      else b.pair(down, up, second, first);
    }
  }
  return b.build(classifyBroadcomState, scope);
}

// The rows after `Since Link time = …` up to the next `… time = …` header, and the column order
// of the counters table (its `Downstream  Upstream` header line).
function sinceLinkBlock(lines: readonly string[]): { lines: string[]; downFirst: boolean } | undefined {
  const start = lines.findIndex((l) => /^\s*Since\s+Link\s+time\s*=/i.test(l));
  if (start < 0) return undefined;
  const out: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^\s*[A-Za-z][A-Za-z0-9 ]*?\s+time\s*=/.test(line) || /^=+\s*$/.test(line)) break;
    out.push(line);
  }
  const header = lines
    .slice(0, start)
    .reverse()
    .find((l) => /^\s*(?:Upstream|Downstream)\s+(?:Upstream|Downstream)\s*$/i.test(l));
  return { lines: out, downFirst: header === undefined || /^\s*Downstream/i.test(header) };
}
