import { gunzipSync, gzipSync } from 'node:zlib';
import type { InitOption, Point } from '../../src/protocol/index.js';
import { TaskPeer } from './task-peer.js';

/** The edgeDetect options of the snapshot tests: watch `state`, name the previous one `prev`. */
export const EDGE_OPTIONS: InitOption[] = [
  { name: 'field', values: [{ type: 'string', value: 'state' }] },
  { name: 'previous', values: [{ type: 'string', value: 'prev' }] },
];

/** A point of group `host=r<group>` with line state `state`. */
export function edgePoint(group: number, state: string, time: bigint): Point {
  return {
    time,
    name: 'adsl',
    database: 'db',
    retentionPolicy: 'autogen',
    group: `host=r${group}`,
    dimensions: ['host'],
    byName: false,
    tags: { host: `r${group}` },
    fields: { state },
  };
}

/** The envelope of a snapshot, plain or gzip-compressed (docs/sdk.md). */
export function snapshotEnvelope(bytes: Uint8Array): { options: string; state: { groups: unknown[][] } } {
  const buf = Buffer.from(bytes);
  const json = buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf, { maxOutputLength: 1 << 30 }) : buf;
  return JSON.parse(json.toString('utf8')) as { options: string; state: { groups: unknown[][] } };
}

/**
 * A snapshot of `groups` edgeDetect groups, each as it is after one first point, in the layout
 * the host writes (one entry a line): `text` is the JSON and `gzipped` what a RestoreRequest
 * carries. The shape of an entry comes from a snapshot of three groups that the host at `socket`
 * takes; filling that many groups by sending points would take minutes.
 */
export async function edgeGroupsSnapshot(socket: string, groups: number): Promise<{ text: Buffer; gzipped: Buffer }> {
  const small = await TaskPeer.task(socket, 'shape', EDGE_OPTIONS);
  await small.write(
    [0, 1, 2].map((g) => ({
      kind: 'point' as const,
      point: edgePoint(g, 'SHOWTIME', 1_700_000_000_000_000_000n + BigInt(g)),
    })),
  );
  await small.write([{ kind: 'snapshot' }]);
  const reply = await small.next((r) => r.kind === 'snapshot' || r.kind === 'error');
  small.end();
  await small.closed;
  if (reply.kind !== 'snapshot') throw new Error(`snapshot of three groups failed: ${JSON.stringify(reply)}`);
  const shape = snapshotEnvelope(reply.snapshot);
  if (shape.state.groups.length !== 3) throw new Error(`three groups expected: ${JSON.stringify(shape)}`);
  const entry = JSON.stringify(shape.state.groups[0]);
  if (!entry.includes('"host=r0"')) throw new Error(`unexpected group entry: ${entry}`);
  const parts: string[] = [];
  for (let g = 0; g < groups; g++) parts.push(entry.replace('"host=r0"', `"host=r${g}"`));
  const head = JSON.stringify({ ...shape, state: { groups: [] } }).replace('"groups":[]', '"groups":[\n#\n]');
  const text = Buffer.from(head.replace('#', parts.join(',\n')));
  return { text, gzipped: gzipSync(text, { level: 1 }) };
}
