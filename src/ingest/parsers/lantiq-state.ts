import type { LineMetricKey, StateClass } from './types.js';

/**
 * The Lantiq DSL API's error counters (named the same in `lucistat` and `ubus call dsl metrics`):
 * API name, then our down (near end) and up (far end) keys.
 */
export const LANTIQ_ERROR_COUNTERS: readonly [string, LineMetricKey, LineMetricKey][] = [
  ['fecs', 'fecs_down_s', 'fecs_up_s'],
  ['es', 'es_down_s', 'es_up_s'],
  ['ses', 'ses_down_s', 'ses_up_s'],
  ['loss', 'loss_down_s', 'loss_up_s'],
  ['uas', 'uas_down_s', 'uas_up_s'],
  ['hec', 'hec_errors_down', 'hec_errors_up'],
  ['crc_p', 'crc_errors_down', 'crc_errors_up'],
];

// Line state codes of the Lantiq DSL CPE API, as printed by lantiq_dsl.sh (`[0x801: showtime_tc_sync]`).
const CODE_CLASSES: ReadonlyMap<number, StateClass> = new Map<number, StateClass>([
  [0x0, 'down'], // not initialized
  [0x1, 'error'], // exception
  [0xff, 'idle'], // idle request
  [0x100, 'idle'],
  [0x1ff, 'down'], // silent request
  [0x200, 'down'], // silent
  [0x300, 'training'], // handshake
  [0x380, 'training'], // full_init
  [0x3c0, 'training'], // short init entry
  [0x400, 'training'], // discovery
  [0x500, 'training'],
  [0x600, 'training'], // analysis
  [0x700, 'training'], // exchange
  [0x800, 'training'], // showtime_no_sync: trained, but no TC-layer sync yet
  [0x801, 'showtime'], // showtime_tc_sync
  [0x900, 'training'], // fastretrain
  [0xd00, 'training'], // resync
  [0xfff, 'down'], // lantiq_dsl.sh: DSL daemon not running
]);

/** Class of a Lantiq line state; the hex code wins, then the detail text, then `UP`/`DOWN`. */
export function classifyLantiqState(state: string, detail?: string, code?: string): StateClass {
  if (code !== undefined && /^0x[0-9a-f]+$/i.test(code)) {
    const known = CODE_CLASSES.get(Number.parseInt(code.slice(2), 16));
    if (known !== undefined) return known;
  }
  const d = (detail ?? '').toLowerCase();
  if (d.length > 0) {
    if (/showtime_tc_sync|showtime with tc/.test(d)) return 'showtime';
    if (/showtime|handshake|init|discovery|training|analysis|exchange|fastretrain|resync/.test(d)) return 'training';
    if (/idle/.test(d)) return 'idle';
    if (/silent|not running|disabled/.test(d)) return 'down';
    if (/exception|error/.test(d)) return 'error';
  }
  const s = state.toLowerCase();
  if (s === 'up') return 'showtime';
  if (s === 'down') return 'down';
  return 'unknown';
}
