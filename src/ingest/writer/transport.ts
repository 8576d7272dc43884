import type { Precision } from './influx-settings.js';
import type { SendOutcome } from './outcome.js';

/**
 * One way of putting lines on a server. `send` never rejects for network or HTTP trouble:
 * that is an outcome. It rejects only on programming errors.
 */
export interface WriteTransport {
  /** The target for log lines, with credentials redacted. */
  readonly description: string;
  /** Lines carry nanosecond timestamps; the transport converts them to its precision. */
  send(lines: readonly string[]): Promise<SendOutcome>;
  /** Run before the first send and after a "database missing" answer (v1 `CREATE DATABASE`). */
  prepare?(): Promise<SendOutcome>;
  close(): Promise<void>;
}

const DIVISOR: Record<Precision, bigint> = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n };

/**
 * Rewrites the trailing nanosecond timestamp of a line to `precision` (floor division, so
 * times before 1970 round down like InfluxDB's own truncation). Every queued line has a
 * timestamp: the writer stamps points that come without one.
 */
export function toPrecision(line: string, precision: Precision): string {
  if (precision === 'ns') return line;
  const i = line.lastIndexOf(' ');
  const ns = BigInt(line.slice(i + 1));
  const d = DIVISOR[precision];
  let q = ns / d;
  if (ns < 0n && q * d !== ns) q -= 1n;
  return `${line.slice(0, i + 1)}${q}`;
}
