import { matchLine, matchLines } from './line-match.js';
import type { NormalizedText } from './normalize-text.js';
import { parseDurationSeconds, sumPresent, toNumber } from './numbers.js';
import { StatusBuilder } from './status-builder.js';
import type { LineStatus, StateClass } from './types.js';

/**
 * Broadcom `xdslctl info [--show|--stats]`, `xdslcmd info ...` and the older `adsl info [--stats]`.
 * Counters come from the `Since Link time` block when printed (reset at each sync), else from
 * the top block (since the driver started).
 */
export function parseBroadcom(input: NormalizedText): LineStatus {
  const b = new StatusBuilder();
  const { top, sinceLink, sinceLinkTime } = splitSections(input.lines);

  b.text('state', statusWord(matchLine(top, /^\s*Status:\s*(.+)$/i)?.[1]));
  b.text('mode', matchLine(top, /^\s*Mode:\s*(.+)$/i)?.[1]);
  b.text('profile', matchLine(top, /^\s*VDSL2?\s+Profile:\s*(?:Profile\s+)?(.+)$/i)?.[1]);

  const max = matchLine(top, /^\s*Max:\s*Upstream rate\s*=\s*(\d+)\s*Kbps,\s*Downstream rate\s*=\s*(\d+)\s*Kbps/i);
  if (max) b.pair('attainable_rate_down_kbps', 'attainable_rate_up_kbps', toNumber(max[2]), toNumber(max[1]));
  // Older `adsl info --show` prints the rates as `Down  Up` rows instead.
  else pairRow(b, top, /^\s*Max\s*\(Kbps\)\s*:(.*)$/i, 'attainable_rate_down_kbps', 'attainable_rate_up_kbps');

  // Bearer/Path 0 carries the data; a split ADSL1 link prints one `Channel:` line per latency path.
  // Some firmware glues the Channel line to the Status line (`Status: Showtime  Channel: FAST, ...`).
  const bearer = matchLine(
    top,
    /(?:^|\s)(?:Bearer|Path):\s*0\s*,\s*Upstream rate\s*=\s*(\d+)\s*Kbps,\s*Downstream rate\s*=\s*(\d+)\s*Kbps/i,
  );
  const channels = matchLines(
    top,
    /(?:^|\s)Channel:\s*\w+\s*,\s*Upstream rate\s*=\s*(\d+)\s*Kbps,\s*Downstream rate\s*=\s*(\d+)\s*Kbps/i,
  );
  if (bearer) {
    b.pair('sync_rate_down_kbps', 'sync_rate_up_kbps', toNumber(bearer[2]), toNumber(bearer[1]));
  } else if (channels.length > 0) {
    b.pair(
      'sync_rate_down_kbps',
      'sync_rate_up_kbps',
      sumPresent(...channels.map((m) => toNumber(m[2]))),
      sumPresent(...channels.map((m) => toNumber(m[1]))),
    );
  } else {
    pairRow(b, top, /^\s*Rate\s*\(Kbps\)\s*:(.*)$/i, 'sync_rate_down_kbps', 'sync_rate_up_kbps');
  }

  pairRow(b, top, /^\s*SNR\s*\(dB\)\s*:(.*)$/i, 'snr_margin_down_db', 'snr_margin_up_db');
  pairRow(b, top, /^\s*Attn\s*\(dB\)\s*:(.*)$/i, 'attenuation_down_db', 'attenuation_up_db');
  pairRow(b, top, /^\s*Pwr\s*\(dBm\)\s*:(.*)$/i, 'output_power_down_dbm', 'output_power_up_dbm');
  // HEC is only printed per bearer in the top block; the first row is bearer 0.
  pairRow(b, top, /^\s*HEC:(.*)$/, 'hec_errors_down', 'hec_errors_up');

  let scope: 'since_sync' | 'total' = 'total';
  if (sinceLink !== undefined) {
    scope = 'since_sync';
    pairRow(b, sinceLink, /^\s*FEC:(.*)$/, 'fec_errors_down', 'fec_errors_up');
    pairRow(b, sinceLink, /^\s*CRC:(.*)$/, 'crc_errors_down', 'crc_errors_up');
    pairRow(b, sinceLink, /^\s*ES:(.*)$/, 'es_down_s', 'es_up_s');
    pairRow(b, sinceLink, /^\s*SES:(.*)$/, 'ses_down_s', 'ses_up_s');
    pairRow(b, sinceLink, /^\s*UAS:(.*)$/, 'uas_down_s', 'uas_up_s');
    b.metric('uptime_s', sinceLinkTime === undefined ? undefined : parseDurationSeconds(sinceLinkTime));
  } else {
    pairRow(b, top, /^\s*RSCorr:(.*)$/, 'fec_errors_down', 'fec_errors_up');
    pairRow(b, top, /^\s*ES:(.*)$/, 'es_down_s', 'es_up_s');
    pairRow(b, top, /^\s*SES:(.*)$/, 'ses_down_s', 'ses_up_s');
    pairRow(b, top, /^\s*UAS:(.*)$/, 'uas_down_s', 'uas_up_s');
  }
  return b.build(classifyBroadcomState, scope);
}

type PairKey = Parameters<StatusBuilder['metric']>[0];

// The state word(s) of a `Status:` line, without what some firmware glues onto it: the next
// line's `Retrain Reason: 0` (`ShowtimeRetrain Reason: 0`) or `Channel: FAST, Upstream rate = ...`.
function statusWord(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return value
    .replace(/\s*(?:Last\s+)?Retrain Reason:.*$/i, '')
    .replace(/\s+(?:Channel|Bearer|Path):\s*\w+\s*,.*$/i, '');
}

// Reads a `Label:  <down>  <up>` row; rows with `N/A` or a single column give nothing.
function pairRow(b: StatusBuilder, lines: readonly string[], pattern: RegExp, down: PairKey, up: PairKey): void {
  const m = matchLine(lines, pattern);
  if (!m?.[1]) return;
  const cols = m[1].trim().split(/\s+/);
  if (cols.length < 2) return;
  const [d, u] = cols.map((c) => toNumber(c));
  b.pair(down, up, d, u);
}

// `Total time = …`, `Latest 15 minutes time = …`, `Since Link time = …` open the history blocks.
const HISTORY_HEADER = /^\s*([A-Za-z][A-Za-z0-9 ]*?)\s+time\s*=\s*(.*)$/;

function splitSections(lines: readonly string[]): { top: string[]; sinceLink?: string[]; sinceLinkTime?: string } {
  const top: string[] = [];
  let current: string[] | undefined;
  let sinceLink: string[] | undefined;
  let sinceLinkTime: string | undefined;
  for (const line of lines) {
    const header = HISTORY_HEADER.exec(line);
    if (header) {
      current = [];
      if (/^since\s+link$/i.test(header[1] ?? '')) {
        sinceLink = current;
        sinceLinkTime = header[2];
      }
      continue;
    }
    (current ?? top).push(line);
  }
  return {
    top,
    ...(sinceLink ? { sinceLink } : {}),
    ...(sinceLinkTime !== undefined ? { sinceLinkTime } : {}),
  };
}

/** Broadcom `Status:` words: `Showtime`, `G.994 Training`, `G.992 Started`, `… Channel Analysis`, `… Message Exchange`, `Idle`. */
export function classifyBroadcomState(state: string): StateClass {
  const s = state.toLowerCase();
  if (/showtime/.test(s)) return 'showtime';
  if (/training|started|analysis|exchange|handshake|retrain|activat|init/.test(s)) return 'training';
  if (/^idle/.test(s)) return 'idle';
  if (/disabled|down|no signal|not connected|los\b/.test(s)) return 'down';
  if (/error|fail/.test(s)) return 'error';
  return 'unknown';
}
