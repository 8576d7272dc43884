/**
 * The snapshot envelope on the wire: plain JSON while small, gzip above 64 KiB, and bytes that
 * inflate without bound, or that are no gzip at all, refused with a reason instead of filling
 * the heap.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { Session } from '../../../src/host/index.js';
import {
  COMPRESS_SNAPSHOTS_ABOVE,
  MAX_SNAPSHOT_JSON_BYTES,
  decodeSnapshot,
  encodeSnapshot,
} from '../../../src/sdk/internal.js';
import type { Response } from '../../../src/protocol/index.js';
import { defineUdf, type SnapshotValue } from '../../../src/sdk/index.js';

const id = { function: 'f', version: 1, options: 'abc' };

describe('snapshot bytes', () => {
  it('stay plain JSON while small and are gzip above the threshold, both decoding to the state', () => {
    const small = encodeSnapshot(id, { a: 1 });
    assert.equal(Buffer.from(small).toString('utf8')[0], '{');
    const state = { groups: Array.from({ length: 20_000 }, (_, i) => [`g${i}`, i, BigInt(i) * 10n]) };
    const big = encodeSnapshot(id, state);
    assert.deepEqual([...big.subarray(0, 2)], [0x1f, 0x8b], 'gzip magic');
    assert.ok(
      JSON.stringify(state, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)).length >
        COMPRESS_SNAPSHOTS_ABOVE,
    );
    assert.deepEqual(decodeSnapshot(big, id), { kind: 'state', state });
    assert.deepEqual(decodeSnapshot(small, id), { kind: 'state', state: { a: 1 } });
  });

  it('refuse gzip that inflates past the bound, and corrupt gzip, with a reason', () => {
    // Zeros compress about 1000:1: 520 MiB of them is well past the bound in ~0.5 MB.
    const bomb = gzipSync(Buffer.alloc(MAX_SNAPSHOT_JSON_BYTES + (8 << 20)), { level: 9 });
    const r = decodeSnapshot(bomb, id);
    assert.equal(r.kind, 'invalid');
    assert.match((r as { reason: string }).reason, /inflates past/);
    const corrupt = Buffer.from(gzipSync(Buffer.from('{"format":"kudf-snapshot"}')));
    corrupt.writeUInt8((corrupt.readUInt8(corrupt.length - 6) ^ 0xff) & 0xff, corrupt.length - 6);
    const c = decodeSnapshot(corrupt, id);
    assert.equal(c.kind, 'invalid');
    assert.match((c as { reason: string }).reason, /corrupt/);
  });

  it('are not sent when larger than the transport takes back: an empty snapshot is, and the task goes on', () => {
    const def = defineUdf({
      name: 'big',
      description: 'state of random text, which does not compress',
      wants: 'stream',
      provides: 'stream',
      options: {},
      create: () => ({
        point: () => undefined,
        snapshot: (): SnapshotValue => Array.from({ length: 4000 }, () => Math.random().toString(36)),
      }),
    });
    const sent: Response[] = [];
    const lines: Array<Record<string, unknown>> = [];
    const log = pino({ level: 'info' }, { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) });
    const session = new Session(def, log, (r) => sent.push(r), { maxSnapshotBytes: 10_000 });
    assert.equal(session.handle({ kind: 'init', taskID: 't', nodeID: 'n', options: [] }), 'continue');
    assert.equal(session.handle({ kind: 'snapshot' }), 'continue');
    const snap = sent.find((r) => r.kind === 'snapshot');
    assert.deepEqual(snap, { kind: 'snapshot', snapshot: new Uint8Array(0) });
    assert.ok(lines.some((l) => l['code'] === 'KUDF_SNAPSHOT_TOO_LARGE' && /over the 10000/.test(String(l['msg']))));
    assert.equal(
      sent.some((r) => r.kind === 'error'),
      false,
    );
  });
});
