import {
  FrameWriter,
  encodeFrame,
  encodeRequest,
  type Fields,
  type InitOption,
  type Point,
} from '../src/protocol/index.js';

/** The target of a pre-encoded load: the function (or the echo server) and what comes back. */
export interface Workload {
  /** Function name (socket `<name>.sock`), or 'echo' for the frame-echo server. */
  udf: string;
  /** Init options; `undefined` skips Init (the echo server answers nothing by itself). */
  init: InitOption[] | undefined;
  /** One pipelined write: whole frames, reused for every write of the run. */
  chunk: Buffer;
  pointsPerChunk: number;
  /** Points the function returns for `sent` points sent on one connection (sent is whole chunks). */
  expectedReturned(sent: number): number;
}

export const GROUPS = 100;
// edgeDetect's watched field flips every FLIP points per group, so one cycle of 2*FLIP rounds
// ends on the state it started from and chunks can be repeated without breaking the pattern.
const FLIP = 10;
const ROUNDS = 2 * FLIP;
const CHUNK_BYTES = 256 * 1024;

type FieldKind = 'double' | 'flipping-string' | 'burn';

function point(group: number, round: number, kind: FieldKind, burnMs: number): Point {
  const host = `h${group.toString().padStart(4, '0')}`;
  const fields = Object.create(null) as Fields;
  if (kind === 'flipping-string') fields['value'] = Math.floor(round / FLIP) % 2 === 0 ? 'up' : 'down';
  else fields['value'] = 20 + ((group * 7 + round * 13) % 97) / 10;
  if (kind === 'burn') fields['burnMs'] = burnMs;
  fields['counter'] = BigInt(round);
  const tags = Object.create(null) as Record<string, string>;
  tags['host'] = host;
  tags['dsl'] = 'vdsl2';
  return {
    // Every chunk reuses the same bytes, so times repeat; none of the measured functions looks at them.
    time: 1_700_000_000_000_000_000n + BigInt(round) * 1_000_000_000n,
    name: 'adsl_line',
    database: 'telegraf',
    retentionPolicy: 'autogen',
    group: `host=${host}`,
    dimensions: ['host'],
    tags,
    fields,
    byName: false,
  };
}

/**
 * Encodes one cycle (ROUNDS rounds over GROUPS groups) and repeats it up to about CHUNK_BYTES,
 * so a run writes the same pre-encoded bytes over and over.
 */
function buildChunk(
  kind: FieldKind,
  burnMs = 0,
  groups = GROUPS,
  rounds = ROUNDS,
  targetBytes = CHUNK_BYTES,
): { chunk: Buffer; pointsPerChunk: number } {
  const writer = new FrameWriter({ initialCapacity: 64 * 1024 });
  for (let round = 0; round < rounds; round++) {
    for (let g = 0; g < groups; g++) writer.writeRequest({ kind: 'point', point: point(g, round, kind, burnMs) });
  }
  const cycle = writer.take();
  const perCycle = rounds * groups;
  const repeats = Math.max(1, Math.floor(targetBytes / cycle.length));
  return { chunk: Buffer.concat(Array.from({ length: repeats }, () => cycle)), pointsPerChunk: perCycle * repeats };
}

const str = (value: string): InitOption['values'][number] => ({ type: 'string', value });

export function mirrorWorkload(): Workload {
  return { udf: 'mirror', init: [], ...buildChunk('double'), expectedReturned: (sent) => sent };
}

export function edgeDetectWorkload(): Workload {
  // One emit per group per FLIP points: the first point, then every flip.
  return {
    udf: 'edgeDetect',
    init: [{ name: 'field', values: [str('value')] }],
    ...buildChunk('flipping-string'),
    expectedReturned: (sent) => sent / FLIP,
  };
}

export function movingAverageWorkload(): Workload {
  return {
    udf: 'movingAverage',
    init: [
      { name: 'field', values: [str('value')] },
      { name: 'size', values: [{ type: 'int', value: 10n }] },
    ],
    ...buildChunk('double'),
    expectedReturned: (sent) => sent,
  };
}

/** The mirror points, sent to the echo server: same bytes on the wire, no Init. */
export function echoWorkload(): Workload {
  return { udf: 'echo', init: undefined, ...buildChunk('double'), expectedReturned: (sent) => sent };
}

/**
 * Points that make the `burn` test function busy-loop `burnMs` each, a few per chunk, so that
 * a small in-flight window keeps its worker busy without queueing minutes of work.
 */
export function burnWorkload(burnMs: number): Workload {
  const { chunk, pointsPerChunk } = buildChunk('burn', burnMs, 5, 1, 0);
  return { udf: 'burn', init: [], chunk, pointsPerChunk, expectedReturned: (sent) => sent };
}

/** One keepalive frame carrying `time` (the generator uses its hrtime in ns). */
export function keepaliveFrame(time: bigint): Uint8Array {
  return encodeFrame(encodeRequest({ kind: 'keepalive', time }));
}

export function initFrame(options: InitOption[]): Uint8Array {
  return encodeFrame(encodeRequest({ kind: 'init', options, taskID: 'bench', nodeID: 'udf1' }));
}

/** One Point request frame for group `g` (the memory case builds distinct groups with it). */
export function edgePointFrame(groupKey: string, value: string): Uint8Array {
  const fields = Object.create(null) as Fields;
  fields['value'] = value;
  const tags = Object.create(null) as Record<string, string>;
  tags['host'] = groupKey.slice('host='.length);
  return encodeFrame(
    encodeRequest({
      kind: 'point',
      point: {
        time: 1_700_000_000_000_000_000n,
        name: 'adsl_line',
        database: 'telegraf',
        retentionPolicy: 'autogen',
        group: groupKey,
        dimensions: ['host'],
        tags,
        fields,
        byName: false,
      },
    }),
  );
}
