/**
 * edgeDetect's state per group, measured in-process: 1M points with distinct groups go through
 * the codec and a real Session (as on a worker), and the heap is compared before and after with
 * forced GCs. A Map of the same decoded group keys alone is measured first, to split the figure
 * into "the key and its map slot" (paid by any per-group state) and "edgeDetect's own state".
 * Run with: node --expose-gc dist/bench/edge-memory.js [groups]; prints one JSON line.
 */
import { Session } from '../src/host/index.js';
import { createLogger } from '../src/log/index.js';
import { decodeRequest, encodeRequest, type Fields, type Point, type Request } from '../src/protocol/index.js';
import { edgeDetect } from '../udfs/index.js';

const gcFn = (globalThis as { gc?: () => void }).gc;
if (gcFn === undefined) {
  process.stderr.write('run with --expose-gc\n');
  process.exit(2);
}
const gc: () => void = gcFn;
const groups = Number(process.argv[2] ?? 1_000_000);

function heap(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

function pointRequest(i: number): Request {
  const host = `h${i.toString().padStart(7, '0')}`;
  const fields = Object.create(null) as Fields;
  fields['value'] = i % 2 === 0 ? 'up' : 'down';
  const tags = Object.create(null) as Record<string, string>;
  tags['host'] = host;
  const point: Point = {
    time: 1_700_000_000_000_000_000n + BigInt(i),
    name: 'adsl_line',
    database: 'telegraf',
    retentionPolicy: 'autogen',
    group: `host=${host}`,
    dimensions: ['host'],
    tags,
    fields,
    byName: false,
  };
  return { kind: 'point', point };
}

// Wire bytes decoded as the worker decodes them, so strings and bigints are the decoder's own.
function decoded(i: number): Point {
  const r = decodeRequest(encodeRequest(pointRequest(i)));
  if (r.kind !== 'point') throw new Error('not a point');
  return r.point;
}

const keysOnly = (): number => {
  const before = heap();
  const map = new Map<string, undefined>();
  for (let i = 0; i < groups; i++) map.set(decoded(i).group, undefined);
  const after = heap();
  if (map.size !== groups) throw new Error('lost keys');
  return (after - before) / groups;
};

const session = (): { perGroup: number; emitted: number } => {
  let emitted = 0;
  const log = createLogger({ level: 'silent' });
  const s = new Session(edgeDetect, log, (r) => {
    if (r.kind === 'point') emitted++;
  });
  s.handle({
    kind: 'init',
    options: [{ name: 'field', values: [{ type: 'string', value: 'value' }] }],
    taskID: 'mem',
    nodeID: 'n',
  });
  const before = heap();
  for (let i = 0; i < groups; i++) s.handle({ kind: 'point', point: decoded(i) });
  const after = heap();
  // Keep the session (and so its state) reachable until after the measurement.
  if (s.counts.pointsIn !== groups) throw new Error('points lost');
  return { perGroup: (after - before) / groups, emitted };
};

const keyBytes = keysOnly();
const { perGroup, emitted } = session();
process.stdout.write(
  `${JSON.stringify({ groups, bytesPerGroup: Math.round(perGroup), keyAndMapSlotBytes: Math.round(keyBytes), edgeStateBytes: Math.round(perGroup - keyBytes), emitted, heapUsedMiB: Math.round(process.memoryUsage().heapUsed / 1048576) })}\n`,
);
