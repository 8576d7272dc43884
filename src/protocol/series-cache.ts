import type { Tags } from './types.js';

/**
 * The decoded series of a point: everything between its time and its fields. A point stream
 * repeats a few series over and over, so the same bytes decode to the same values every time.
 */
export interface Series {
  name: string;
  database: string;
  retentionPolicy: string;
  group: string;
  dimensions: string[];
  tags: Tags;
}

// Field numbers 2..7 (name, database, retentionPolicy, group, dimensions, tags), all
// length-delimited: tag bytes 0x12, 0x1a, 0x22, 0x2a, 0x32, 0x3a.
const FIRST_SERIES_TAG = (2 << 3) | 2;
const LAST_SERIES_TAG = (7 << 3) | 2;
// Fields (8, 9, 10, 12) and byName (11) follow the series in Kapacitor's layout.
const FIRST_AFTER_SERIES_FIELD = 8;
const LAST_AFTER_SERIES_FIELD = 12;

const SETS = 2048; // a power of two: the set is `hash & (SETS - 1)`, two entries each
/** Longer series are decoded every time: they would hash and compare for a small share of the work. */
const MAX_SERIES_BYTES = 512;

/**
 * Where the series entries that start at `pos` end, if the point is laid out as Kapacitor writes
 * it: name, database, retention policy, group, dimensions, tags, in field order, then fields or
 * byName (or the end). -1 for any other layout: those points are decoded the long way.
 */
export function seriesEnd(buf: Uint8Array, pos: number, end: number): number {
  let last = FIRST_SERIES_TAG;
  while (pos < end) {
    const tag = buf[pos] as number;
    if (tag < FIRST_SERIES_TAG || tag > LAST_SERIES_TAG || (tag & 7) !== 2) {
      const field = tag >>> 3;
      return tag < 0x80 && field >= FIRST_AFTER_SERIES_FIELD && field <= LAST_AFTER_SERIES_FIELD ? pos : -1;
    }
    if (tag < last) return -1;
    last = tag;
    // A length of up to 3 varint bytes; anything longer is over MAX_SERIES_BYTES anyway.
    let p = pos + 1;
    let len = 0;
    let shift = 0;
    for (;;) {
      if (p >= end || shift > 14) return -1;
      const b = buf[p++] as number;
      len |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
    }
    pos = p + len;
    if (pos > end) return -1;
  }
  return pos;
}

/** fmix32 of MurmurHash3: spreads every input bit over the low bits the set index takes. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

interface Entry {
  key: DataView;
  series: Series;
}

/**
 * A two-way set-associative cache from a series' exact bytes to its decoded values. A hit hands
 * out the very objects decoded for an earlier point (the SDK's rule: points are read-only;
 * functions loaded from a directory get them frozen). Tags come in whatever order the peer wrote
 * them (Kapacitor: Go's random map order), and each order is its own entry: with a few tags the
 * orders are few, and a series whose orders keep missing costs one hash per point.
 *
 * Bytes are hashed and compared four at a time through DataViews: a byte loop over the ~80
 * bytes of a typical series cost about as much as decoding it.
 */
export class SeriesCache {
  private readonly entries: Array<Entry | undefined> = new Array<Entry | undefined>(SETS * 2).fill(undefined);
  /** Per set: which way was hit or filled last (the other one is replaced). */
  private readonly recent = new Uint8Array(SETS);
  /**
   * Hashes of recent misses that found their set full, indexed by other bits of the hash than
   * the set. A series replaces an entry only on its second such miss, so a stream of one-off
   * series (high cardinality) costs a hash per point and evicts nothing.
   */
  private readonly missed = new Int32Array(SETS);
  private view: DataView = new DataView(new ArrayBuffer(0));
  private set = -1;

  /** The series decoded earlier from exactly the bytes [start, end) of `buf`, if it is still here. */
  lookup(buf: Uint8Array, start: number, end: number): Series | undefined {
    const len = end - start;
    if (len > MAX_SERIES_BYTES) {
      this.set = -1;
      return undefined;
    }
    if (this.view.buffer !== buf.buffer) this.view = new DataView(buf.buffer);
    const view = this.view;
    const base = buf.byteOffset + start;
    const words = len & ~3;
    let hash = len;
    for (let i = 0; i < words; i += 4) hash = Math.imul(hash ^ view.getInt32(base + i, true), 0x01000193);
    for (let i = words; i < len; i++) hash = Math.imul(hash ^ (buf[start + i] as number), 0x01000193);
    const set = mix(hash) & (SETS - 1);
    this.set = set;
    for (let way = 0; way < 2; way++) {
      const entry = this.entries[set * 2 + way];
      if (entry === undefined || entry.key.byteLength !== len) continue;
      const key = entry.key;
      let i = 0;
      while (i < words && key.getInt32(i, true) === view.getInt32(base + i, true)) i += 4;
      if (i < words) continue;
      while (i < len && key.getUint8(i) === buf[start + i]) i++;
      if (i < len) continue;
      this.recent[set] = way;
      return entry.series;
    }
    // A free way takes the series at once; replacing one waits for the series' second miss.
    if (this.entries[set * 2] !== undefined && this.entries[set * 2 + 1] !== undefined) {
      const at = (hash >>> 21) & (SETS - 1);
      if (this.missed[at] !== hash) {
        this.missed[at] = hash;
        this.set = -1;
      }
    }
    return undefined;
  }

  /** Stores the series of the bytes of the last missed {@link lookup}, if that was its second miss. */
  remember(buf: Uint8Array, start: number, end: number, series: Series): void {
    const set = this.set;
    if (set < 0) return;
    const way = 1 - (this.recent[set] as number);
    // A copy in its own buffer (Buffer#slice would be a view into the peer's bytes).
    const key = new Uint8Array(end - start);
    key.set(buf.subarray(start, end));
    this.entries[set * 2 + way] = { key: new DataView(key.buffer), series };
    this.recent[set] = way;
    this.set = -1;
  }
}
