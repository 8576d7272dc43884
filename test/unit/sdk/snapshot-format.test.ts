/**
 * The snapshot envelope on the wire: plain JSON while small, gzip above 64 KiB, and bytes that
 * inflate without bound, or that are no gzip at all, refused with a reason instead of filling
 * the heap. A `groups` list is written an entry a line from any iterable and can be restored
 * entry by entry.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync, gzipSync } from 'node:zlib';
import { pino } from 'pino';
import { Session } from '../../../src/host/index.js';
import {
  COMPRESS_SNAPSHOTS_ABOVE,
  MAX_SNAPSHOT_JSON_BYTES,
  decodeSnapshot,
  encodeSnapshot,
  fingerprintOptions,
} from '../../../src/sdk/internal.js';
import type { Response } from '../../../src/protocol/index.js';
import type { UdfInstance } from '../../../src/sdk/index.js';
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

  it('write a groups list from any iterable an entry a line, decoded whole or entry by entry', () => {
    function* entries(): Generator<SnapshotValue> {
      yield ['a', 1n, [Infinity]];
      yield ['b', -2n, null];
    }
    const bytes = encodeSnapshot(id, { x: 1, groups: entries() });
    const text = Buffer.from(bytes).toString('utf8');
    assert.equal(text.split('\n').length, 4, text);
    const whole = {
      x: 1,
      groups: [
        ['a', 1n, [Infinity]],
        ['b', -2n, null],
      ],
    };
    assert.deepEqual(decodeSnapshot(bytes, id), { kind: 'state', state: whole });
    const lazy = decodeSnapshot(bytes, id, { groups: true });
    assert.equal(lazy.kind, 'groups');
    if (lazy.kind !== 'groups') return;
    assert.deepEqual(lazy.head, { x: 1, groups: [] });
    assert.deepEqual([...lazy.groups], whole.groups);
    const empty = decodeSnapshot(encodeSnapshot(id, { groups: [] }), id, { groups: true });
    assert.equal(empty.kind, 'groups');
    if (empty.kind === 'groups') assert.deepEqual([...empty.groups], []);
  });

  it('compress a groups list past a MiB in gzip members, one gzip stream that decodes', () => {
    const groups = Array.from({ length: 100_000 }, (_, i) => [`host=r${i}`, ['SHOWTIME'], 0n, null, BigInt(i)]);
    const bytes = encodeSnapshot(id, { groups });
    const text = gunzipSync(bytes).toString('utf8');
    assert.ok(text.length > 2 << 20, `${text.length} characters: more than two members`);
    // Each member starts with the gzip magic and deflate method: more than one is in the stream.
    assert.ok(Buffer.from(bytes).indexOf(Buffer.from([0x1f, 0x8b, 8]), 3) > 0, 'a second member');
    const lazy = decodeSnapshot(bytes, id, { groups: true });
    assert.equal(lazy.kind, 'groups');
    if (lazy.kind === 'groups') assert.deepEqual([...lazy.groups], groups);
    assert.deepEqual(decodeSnapshot(bytes, id), { kind: 'state', state: { groups } });
  });

  it('throw for an entry line that is not JSON while it is read, naming the entry', () => {
    const text = Buffer.from(encodeSnapshot(id, { groups: [[1], [2], [3]] }))
      .toString('utf8')
      .replace('[2]', '[2');
    const lazy = decodeSnapshot(Buffer.from(text), id, { groups: true });
    assert.equal(lazy.kind, 'groups');
    if (lazy.kind === 'groups') assert.throws(() => [...lazy.groups], /group #1 is not JSON/);
  });

  it('go to restoreGroup entry by entry into a fresh instance, and a bad entry leaves a fresh one', () => {
    const calls: string[] = [];
    let made = 0;
    const def = defineUdf({
      name: 'grouped',
      description: 'keeps its state as a groups list',
      wants: 'stream',
      provides: 'stream',
      options: {},
      create: (): UdfInstance => {
        const me = ++made;
        const kept: SnapshotValue[] = [];
        return {
          point: () => undefined,
          snapshot: () => ({ groups: kept.values() }),
          restore: (state) => void calls.push(`${me} restore ${JSON.stringify(state)}`),
          restoreGroup: (entry) => {
            if (entry === 'bad') throw new Error('bad entry');
            kept.push(entry);
            calls.push(`${me} group ${JSON.stringify(entry)}`);
          },
        };
      },
    });
    const sent: Response[] = [];
    const session = new Session(def, pino({ level: 'silent' }), (r) => sent.push(r));
    session.handle({ kind: 'init', taskID: 't', nodeID: 'n', options: [] });
    const ids = { function: 'grouped', version: 1, options: fingerprintOptions({}) };
    session.handle({ kind: 'restore', snapshot: encodeSnapshot(ids, { groups: ['g1', 'g2'] }) });
    assert.deepEqual(calls, ['2 restore {"groups":[]}', '2 group "g1"', '2 group "g2"']);
    assert.deepEqual(sent.pop(), { kind: 'restore', success: true, error: '' });
    session.handle({ kind: 'snapshot' });
    const taken = sent.pop();
    assert.equal(taken?.kind, 'snapshot');
    if (taken?.kind === 'snapshot')
      assert.deepEqual(decodeSnapshot(taken.snapshot, ids), { kind: 'state', state: { groups: ['g1', 'g2'] } });
    calls.length = 0;
    session.handle({ kind: 'restore', snapshot: encodeSnapshot(ids, { groups: ['g3', 'bad'] }) });
    assert.deepEqual(calls, ['3 restore {"groups":[]}', '3 group "g3"']);
    const failed = sent.pop();
    assert.equal(failed?.kind === 'restore' && failed.success, false);
    assert.equal(made, 4, 'the half-restored instance is replaced by a fresh one');
  });
});
