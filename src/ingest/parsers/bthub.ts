import type { NormalizedText } from './normalize-text.js';
import { toNumber } from './numbers.js';
import { StatusBuilder } from './status-builder.js';
import type { LineStatus, StateClass } from './types.js';

// The line entry of the hub's status page (`/nonAuth/wan_conn.xml`):
// `<wan_linestatus_rate_list type="array" value="[['UP','VDSL2','Profile%2017a', ...], null]"/>`.
const LINE_LIST = /<wan_linestatus_rate_list\b[^>]*?\bvalue\s*=\s*"([^"]*)"/i;

function decode(item: string): string {
  try {
    return decodeURIComponent(item);
  } catch {
    return item;
  }
}

/** The items of the first `['a','b',...]` entry of a list value, URL-decoded. */
function firstEntry(value: string): string[] | undefined {
  const entry = /\[\s*('[^\]]*)\]/.exec(value)?.[1];
  if (entry === undefined) return undefined;
  return [...entry.matchAll(/'([^']*)'/g)].map((m) => decode(m[1] ?? ''));
}

const tenths = (s: string | undefined): number | undefined => {
  const n = toNumber(s);
  return n === undefined ? undefined : n / 10;
};

/**
 * BT Home Hub / Smart Hub status page (`wan_conn.xml`, what the hub's status and Helpdesk pages
 * read). Its line entry lists, in order: state, standard, modulation or profile, SNR margin
 * down/up, line attenuation down/up, signal attenuation down/up, output power down/up (all in
 * 0.1 dB / 0.1 dBm), sync rate down/up (kbps), attainable rate down/up (bit/s), latency path.
 * A line that is not up prints zeros for every value: they are left out, not written as 0.
 */
export function parseBthub(input: NormalizedText): LineStatus {
  const b = new StatusBuilder();
  const value = LINE_LIST.exec(input.text)?.[1];
  const items = value === undefined ? undefined : firstEntry(value);
  if (items === undefined || items.length < 15) return b.build(classifyBthubState, 'unknown');
  const at = (i: number): string | undefined => items[i];
  b.text('state', at(0));
  const standard = at(1);
  const modulation = at(2) ?? '';
  const profile = /^Profile\s*(\S+)$/i.exec(modulation.trim())?.[1];
  if (profile !== undefined) {
    b.text('mode', standard);
    b.text('profile', profile);
  } else b.text('mode', modulation !== '' ? modulation : standard);

  if (classifyBthubState(at(0) ?? '') === 'showtime') {
    b.pair('snr_margin_down_db', 'snr_margin_up_db', tenths(at(3)), tenths(at(4)));
    b.pair('attenuation_down_db', 'attenuation_up_db', tenths(at(5)), tenths(at(6)));
    b.pair('signal_attenuation_down_db', 'signal_attenuation_up_db', tenths(at(7)), tenths(at(8)));
    b.pair('output_power_down_dbm', 'output_power_up_dbm', tenths(at(9)), tenths(at(10)));
    b.pair('sync_rate_down_kbps', 'sync_rate_up_kbps', toNumber(at(11)), toNumber(at(12)));
    const bps = (s: string | undefined): number | undefined => {
      const n = toNumber(s);
      return n === undefined ? undefined : n / 1000;
    };
    b.pair('attainable_rate_down_kbps', 'attainable_rate_up_kbps', bps(at(13)), bps(at(14)));
  }
  return b.build(classifyBthubState, 'unknown');
}

/** The hub's line state word: `UP`, `DOWN`, and the training states in between. */
export function classifyBthubState(state: string): StateClass {
  const s = state.trim().toLowerCase();
  if (s === 'up' || s === 'showtime') return 'showtime';
  if (s === 'down' || s === 'disabled' || s === 'nosignal') return 'down';
  if (/train|handshak|init|sync|connecting/.test(s)) return 'training';
  if (s === 'idle') return 'idle';
  return 'unknown';
}
