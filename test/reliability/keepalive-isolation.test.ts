/**
 * Keepalives of one session are answered while another session on the same worker receives and
 * processes one huge frame: the main thread answers them from the raw bytes it reads, so neither
 * the worker's work on the frame nor the megabytes queued for it stand in their way.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HostProcess } from '../helpers/index.js';
import { seqPoint } from './raw-peer.js';
import { TaskPeer } from './task-peer.js';

// Kapacitor's keepalive timeout is ten times its period (1 s at least); this bound is far under it.
const KEEPALIVE_BOUND_MS = 5000;

describe('keepalives beside a huge frame on the same worker', () => {
  let host: HostProcess;

  before(async () => {
    // One worker: both sessions run on it.
    host = await HostProcess.start(['--threads', '1', '--functions', 'mirror']);
  });

  after(async () => {
    await host.stop();
  });

  it('answers every keepalive of a bystander while a ~60 MiB frame of another session is read, decoded and echoed', async (t) => {
    const bystander = await TaskPeer.task(host.socket('mirror'), 'bystander');
    const big = await TaskPeer.task(host.socket('mirror'), 'huge');
    const blob = 'x'.repeat(60 << 20);
    bystander.startKeepalives(50);
    await big.write([{ kind: 'point', point: seqPoint(0, { blob }) }]);
    const echoed = await big.next((r) => r.kind === 'point' || r.kind === 'error');
    bystander.stopKeepalives();
    assert.equal(echoed.kind, 'point');
    assert.equal(echoed.kind === 'point' ? echoed.point.fields['blob'] : undefined, blob);
    // What was sent last gets its answer too.
    await bystander.write([{ kind: 'keepalive', time: -1n }]);
    await bystander.next((r) => r.kind === 'keepalive' && r.time === -1n);
    assert.deepEqual(bystander.unansweredKeepaliveAges(), []);
    assert.ok(
      bystander.keepaliveRtts.length >= 2,
      `keepalives sent while the frame was under way: ${bystander.keepaliveRtts.length}`,
    );
    const slowest = Math.max(...bystander.keepaliveRtts);
    t.diagnostic(`${bystander.keepaliveRtts.length} keepalives, slowest answer ${slowest.toFixed(1)} ms`);
    assert.ok(slowest < KEEPALIVE_BOUND_MS, `slowest keepalive answer ${slowest} ms`);
    assert.deepEqual(bystander.errors(), []);
    big.end();
    bystander.end();
    await Promise.all([big.closed, bystander.closed]);
  });
});
