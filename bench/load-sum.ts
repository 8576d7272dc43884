import type { ConnectionResult, LoadResult } from './load-generator.js';

/** What every run's connections add up to, whichever client ran them. */
export type LoadSum = Pick<
  LoadResult,
  | 'connections'
  | 'sentPoints'
  | 'returnedPoints'
  | 'sentPerSec'
  | 'returnedPerSec'
  | 'processedPerSec'
  | 'keepaliveMs'
  | 'errors'
>;

/** Sums a run's connections; they start together, so the slowest one bounds the aggregate rates. */
export function sumConnections(results: ConnectionResult[]): LoadSum {
  const sent = results.reduce((s, r) => s + r.sentPoints, 0);
  const returned = results.reduce((s, r) => s + r.returnedPoints, 0);
  const sendMs = Math.max(...results.map((r) => r.sendMs));
  const returnMs = Math.max(...results.map((r) => r.returnMs));
  const doneMs = Math.max(...results.map((r) => r.doneMs));
  return {
    connections: results,
    sentPoints: sent,
    returnedPoints: returned,
    sentPerSec: sent / (sendMs / 1000),
    returnedPerSec: returned / (returnMs / 1000),
    processedPerSec: sent / (doneMs / 1000),
    keepaliveMs: results.flatMap((r) => r.keepaliveMs),
    errors: results.flatMap((r) => (r.error !== undefined ? [r.error] : [])),
  };
}

/** What a connection's counts say at the end of a run, for either client: why it does not count, or undefined. */
export function countsError(c: {
  returned: number;
  expected: number;
  atFrameBoundary: boolean;
  keepalivesSent: number;
  keepalivesAnswered: number;
}): string | undefined {
  if (c.returned !== c.expected) return `returned ${c.returned} points, expected ${c.expected}`;
  if (!c.atFrameBoundary) return 'the stream ended inside a frame';
  if (c.keepalivesAnswered !== c.keepalivesSent)
    return `${c.keepalivesSent} keepalives sent, ${c.keepalivesAnswered} answered`;
  return undefined;
}
