/**
 * Keepalives of one session are answered while another session on the same worker receives and
 * processes one huge frame, restores a large state or snapshots it: the main thread answers them
 * from the raw bytes it reads, so neither the worker's work nor the megabytes queued for it stand
 * in their way.
 */
import assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { after, before, describe, it, type TestContext } from 'node:test';
import { HostProcess } from '../helpers/index.js';
import { EDGE_OPTIONS, edgeGroupsSnapshot, snapshotEnvelope } from './edge-snapshot.js';
import { seqPoint } from './raw-peer.js';
import { TaskPeer } from './task-peer.js';

// An unaffected session's keepalives are answered within 1 s whatever its neighbours do
// (docs/reliability.md); Kapacitor's own timeout is ten times its period, at least 1 s. Answers
// wait for no worker, so a bound this far over the tens of milliseconds they take fails only when
// they do wait: 500,000 groups keep the worker busy for seconds.
const KEEPALIVE_BOUND_MS = 1000;
// edgeDetect groups in the large state: about 1 s of a worker's time to restore on a 2-core machine.
const GROUPS = 500_000;

/** Every keepalive the bystander sent was answered, and in time; `during` of them while the work ran. */
async function assertKeepalivesAnswered(t: TestContext, bystander: TaskPeer, during: Record<string, number>) {
  // What was sent last gets its answer too.
  await bystander.write([{ kind: 'keepalive', time: -1n }]);
  await bystander.next((r) => r.kind === 'keepalive' && r.time === -1n);
  assert.deepEqual(bystander.unansweredKeepaliveAges(), []);
  for (const [work, answered] of Object.entries(during))
    assert.ok(answered >= 2, `keepalives answered while ${work} was under way: ${answered}`);
  const rtts = bystander.keepaliveRtts;
  const slowest = Math.max(...rtts);
  // Where the slowest one fell, and how long this process's own event loop stalled: a failure
  // then says whether the host or the machine was late.
  const at = rtts.indexOf(slowest);
  let phase = 'after the work';
  let seen = 0;
  for (const [work, n] of Object.entries(during)) {
    if (at < seen + n) {
      phase = `during ${work}`;
      break;
    }
    seen += n;
  }
  loopDelay.disable();
  const ownStallMs = loopDelay.max / 1e6;
  const summary = `${rtts.length} keepalives (${Object.entries(during)
    .map(([work, n]) => `${n} during ${work}`)
    .join(
      ', ',
    )}), slowest answer ${slowest.toFixed(1)} ms (number ${at + 1}, ${phase}); the test's own event loop stalled at most ${ownStallMs.toFixed(1)} ms`;
  t.diagnostic(summary);
  assert.ok(slowest < KEEPALIVE_BOUND_MS, summary);
  assert.deepEqual(bystander.errors(), []);
}

// The test process's own event-loop delay while keepalives are measured (watchKeepalives).
const loopDelay = monitorEventLoopDelay({ resolution: 10 });

/** Starts the bystander's keepalives and the watch on this process's own event loop. */
function watchKeepalives(bystander: TaskPeer): void {
  loopDelay.reset();
  loopDelay.enable();
  bystander.startKeepalives(50);
}

describe('keepalives beside large work of another session on the same worker', () => {
  let host: HostProcess;

  before(async () => {
    // One worker: both sessions run on it.
    host = await HostProcess.start(['--threads', '1', '--functions', 'mirror,edgeDetect']);
  });

  after(async () => {
    await host.stop();
  });

  it('answers every keepalive of a bystander while a ~60 MiB frame of another session is read, decoded and echoed', async (t) => {
    const bystander = await TaskPeer.task(host.socket('mirror'), 'bystander');
    const big = await TaskPeer.task(host.socket('mirror'), 'huge');
    const blob = 'x'.repeat(60 << 20);
    watchKeepalives(bystander);
    await big.write([{ kind: 'point', point: seqPoint(0, { blob }) }]);
    const echoed = await big.next((r) => r.kind === 'point' || r.kind === 'error');
    bystander.stopKeepalives();
    await assertKeepalivesAnswered(t, bystander, { 'the frame': bystander.keepaliveRtts.length });
    assert.equal(echoed.kind, 'point');
    assert.equal(echoed.kind === 'point' ? echoed.point.fields['blob'] : undefined, blob);
    big.end();
    bystander.end();
    await Promise.all([big.closed, bystander.closed]);
  });

  it(`answers every keepalive of a bystander while another session restores ${GROUPS} groups and snapshots them`, async (t) => {
    const { gzipped } = await edgeGroupsSnapshot(host.socket('edgeDetect'), GROUPS);
    t.diagnostic(`the snapshot restored: ${gzipped.byteLength} bytes gzipped`);
    const bystander = await TaskPeer.task(host.socket('mirror'), 'bystander');
    const big = await TaskPeer.task(host.socket('edgeDetect'), 'large-state', EDGE_OPTIONS);
    watchKeepalives(bystander);
    await big.write([{ kind: 'restore', snapshot: gzipped }]);
    const restored = await big.next((r) => r.kind === 'restore' || r.kind === 'error');
    const duringRestore = bystander.keepaliveRtts.length;
    await big.write([{ kind: 'snapshot' }]);
    const taken = await big.next((r) => r.kind === 'snapshot' || r.kind === 'error');
    const duringSnapshot = bystander.keepaliveRtts.length - duringRestore;
    bystander.stopKeepalives();
    // Before the snapshot is unpacked here: that takes this process a second, and a keepalive
    // still in flight would count it as the host's.
    await assertKeepalivesAnswered(t, bystander, { 'the restore': duringRestore, 'the snapshot': duringSnapshot });
    assert.deepEqual(restored, { kind: 'restore', success: true, error: '' });
    assert.equal(taken.kind, 'snapshot');
    if (taken.kind === 'snapshot') assert.equal(snapshotEnvelope(taken.snapshot).state.groups.length, GROUPS);
    // The bystander's data still flows.
    await bystander.write([{ kind: 'point', point: seqPoint(1) }]);
    await bystander.next((r) => r.kind === 'point');
    assert.deepEqual(bystander.seqs(), [1]);
    big.end();
    bystander.end();
    await Promise.all([big.closed, bystander.closed]);
  });
});
