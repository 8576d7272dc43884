/**
 * Snapshots at the sizes the host produces: the state of 1,200,000 edgeDetect groups (82 MB as
 * JSON, over the 64 MiB frame limit) goes out compressed under the frame limit the host accepts
 * back, comes back in a RestoreRequest group by group, and is written again byte for byte. At the
 * default worker heap; Kapacitor sets no limit of its own below BoltDB's 2 GiB value
 * (docs/kapacitor.md). SNAPSHOT_GROUPS=2000000 runs it at 2M groups (about two minutes on a loaded
 * 2-core machine, so not in CI: docs/reliability.md), SNAPSHOT_HEAP_MB with another worker heap.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { KapacitorClient } from '../../src/probe/index.js';
import { HostProcess } from '../helpers/index.js';
import { EDGE_OPTIONS, edgeGroupsSnapshot, edgePoint as point } from './edge-snapshot.js';

const GROUPS = Number(process.env['SNAPSHOT_GROUPS'] ?? 1_200_000);
const MAX_FRAME = 64 * 1024 * 1024;

async function session(host: HostProcess): Promise<KapacitorClient> {
  const c = await KapacitorClient.connectSocket(host.socket('edgeDetect'), { timeoutMs: 0 });
  assert.equal((await c.init(EDGE_OPTIONS)).success, true);
  return c;
}

describe(`snapshots of ${GROUPS} groups`, () => {
  let host: HostProcess;
  before(async () => {
    host = await HostProcess.start([
      '--threads',
      '1',
      ...(process.env['SNAPSHOT_HEAP_MB'] !== undefined ? ['--worker-heap-mb', process.env['SNAPSHOT_HEAP_MB']] : []),
    ]);
  });
  after(async () => {
    await host?.stop();
  });

  it('are written under the frame limit and restored from what the host wrote', async () => {
    const { text, gzipped: big } = await edgeGroupsSnapshot(host.socket('edgeDetect'), GROUPS);

    const first = await session(host);
    const restored = await first.restore(big);
    assert.deepEqual(restored, { kind: 'restore', success: true, error: '' });
    const taken = await first.snapshot();
    await first.close();
    assert.ok(taken.byteLength > 0, 'the host wrote a snapshot, not an empty one');
    assert.ok(
      taken.byteLength <= MAX_FRAME,
      `the snapshot (${taken.byteLength} bytes) fits the frames the host accepts`,
    );
    // Every group, in the order restored, with the state it was given: the very text restored.
    const inflated = gunzipSync(taken, { maxOutputLength: 1 << 30 });
    assert.equal(inflated.byteLength, text.byteLength, 'the snapshot taken is as long as the one restored');
    assert.ok(inflated.equals(text), 'the snapshot taken holds the state restored');

    // What the host wrote comes back: a change in the last group reports the restored state.
    const second = await session(host);
    assert.deepEqual(await second.restore(taken), { kind: 'restore', success: true, error: '' });
    second.sendMany([
      { kind: 'point', point: point(GROUPS - 1, 'TRAINING', 1_800_000_000_000_000_000n) },
      { kind: 'point', point: point(7, 'SHOWTIME', 1_800_000_000_000_000_001n) },
    ]);
    await second.close();
    assert.equal(second.failed, undefined);
    const out = second.data.flatMap((r) => (r.kind === 'point' ? [r.point] : []));
    assert.deepEqual(
      out.map((p) => [p.group, p.fields['state'], p.fields['prevstate']]),
      [[`host=r${GROUPS - 1}`, 'TRAINING', 'SHOWTIME']],
      'only the group that changed is reported, with its restored previous state',
    );
    assert.deepEqual(
      host.logs.filter((l) => l.level >= 50),
      [],
      'no error logged',
    );
  });
});
