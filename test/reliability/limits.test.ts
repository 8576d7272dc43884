/**
 * Limits with clear signals, against a real `kudf serve`: a connection cap, an Init timeout,
 * batch limits and the host-wide open-batch budget, the partial-frame budget and its no-progress timeout, the workers' heap limit,
 * and the open-file limit (raised to the hard limit, running out logged and counted). Each
 * limit ends only the connection that hit it, with an ErrorResponse naming the limit, while a
 * bystander task goes on.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { encodeUvarint } from '../../src/protocol/index.js';
import { HostProcess } from '../helpers/index.js';
import { assertServing, seqPoint } from './raw-peer.js';
import { TaskPeer, seqPoints } from './task-peer.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

const begin = (group: string) => ({
  kind: 'begin' as const,
  begin: { name: 'seq', group, tags: { host: 'a' }, size: 0n, byName: false },
});
const end = (group: string) => ({
  kind: 'end' as const,
  end: { name: 'seq', group, tmax: 0n, tags: { host: 'a' }, byName: false },
});

/** A bystander mirror task that must get every point back, in order, whatever the others do. */
async function bystanderSurvives(bystander: TaskPeer, from: number): Promise<void> {
  await bystander.write(seqPoints(from, 20));
  await bystander.next((r) => r.kind === 'point' && r.point.fields['seq'] === BigInt(from + 19));
  assert.deepEqual(
    bystander.seqs(),
    Array.from({ length: from + 20 }, (_, i) => i),
  );
  assert.deepEqual(bystander.errors(), []);
}

describe('limits of kudf serve', () => {
  let host: HostProcess;
  let bystander: TaskPeer;
  let sent = 0;

  before(async () => {
    host = await HostProcess.start([
      '--threads',
      '2',
      '--functions',
      'mirror,crash,outliers',
      '--max-connections',
      '6',
      '--init-timeout',
      '1s',
      '--max-batch-points',
      '1000',
      '--max-batch-bytes',
      '200000',
      '--frame-timeout',
      '3s',
      '--worker-heap-mb',
      '64',
    ]);
    bystander = await TaskPeer.task(host.socket('mirror'), 'bystander');
    await bystanderSurvives(bystander, sent);
    sent += 20;
  });

  after(async () => {
    await bystanderSurvives(bystander, sent);
    bystander.end();
    await bystander.closed;
    assert.ok(!host.logs.some((l) => l.level >= 60), 'no fatal log line');
    await host.stop();
  });

  it('answers a connection over --max-connections with an ErrorResponse naming the limit, logs it, and serves again once one closes', async () => {
    const open = [];
    for (let i = 0; i < 5; i++) open.push(await TaskPeer.task(host.socket('mirror'), `cap-${i}`));
    const refused = await TaskPeer.connect(host.socket('mirror'));
    await refused.closed;
    assert.deepEqual(refused.errors(), ['mirror: too many connections (6: --max-connections 6)']);
    const line = await host.waitForLog((l) => l['code'] === 'KUDF_HOST_MAX_CONNECTIONS');
    assert.equal(line['maxConnections'], 6);
    open[0]?.end();
    await open[0]?.closed;
    const again = await TaskPeer.task(host.socket('mirror'), 'cap-again');
    open.push(again);
    for (const peer of open.slice(1)) peer.end();
    await Promise.all(open.map((p) => p.closed));
  });

  it('closes a connection that sends neither Info nor Init within --init-timeout, and leaves an Info-only one open', async () => {
    const silent = await TaskPeer.connect(host.socket('mirror'));
    const infoOnly = await TaskPeer.connect(host.socket('mirror'));
    await infoOnly.write([{ kind: 'info' }]);
    await silent.closed;
    assert.deepEqual(silent.errors(), ['no InitRequest within 1000 ms of connecting']);
    assert.ok(host.logs.some((l) => l['code'] === 'KUDF_HOST_INIT_TIMEOUT'));
    // Kapacitor's start-up connection: Info, then it waits (with no timeout) for the UDF to close.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(infoOnly.socket.destroyed, false, 'the Info-only connection is still open');
    assert.deepEqual(
      infoOnly.responses.map((r) => r.kind),
      ['info'],
    );
    infoOnly.end();
    await infoOnly.closed;
  });

  it('ends a batch over --max-batch-points with an ErrorResponse naming that limit, and serves a batch within it', async () => {
    const ok = await TaskPeer.task(host.socket('mirror'), 'batch-ok');
    await ok.write([begin('host=a'), ...seqPoints(0, 1000), end('host=a')]);
    await ok.next((r) => r.kind === 'end');
    assert.equal(ok.seqs().length, 1000);
    ok.end();

    const hostile = await TaskPeer.task(host.socket('mirror'), 'batch-points');
    await hostile.write([begin('host=a'), ...seqPoints(0, 1500)]);
    await hostile.closed;
    assert.equal(hostile.errors().length, 1);
    assert.match(
      hostile.errors()[0] ?? '',
      /^mirror: batch of group 'host=a' without EndBatch exceeds the batch point limit \(1000 points, --max-batch-points\)$/,
    );
    assert.equal(hostile.responses.at(-1)?.kind, 'error');
    await ok.closed;
  });

  it('ends a batch over --max-batch-bytes with an ErrorResponse naming that limit, also for a function that buffers the batch itself', async () => {
    const hostile = await TaskPeer.task(host.socket('outliers'), 'batch-bytes', [
      { name: 'field', values: [{ type: 'string', value: 'v' }] },
    ]);
    const wide = (seq: number) => ({ kind: 'point' as const, point: seqPoint(seq, { pad: 'x'.repeat(400) }) });
    await hostile.write([begin('host=a'), ...Array.from({ length: 900 }, (_, i) => wide(i))]);
    await hostile.closed;
    assert.match(
      hostile.errors().join(),
      /^outliers: batch of group 'host=a' without EndBatch exceeds the batch size limit \(200000 bytes of points, --max-batch-bytes\)$/,
    );
  });

  it('ends the session whose batch takes the host past --max-open-batch-bytes, alone, and frees what a batch held when it ends', async () => {
    // Its own host: batches that each fit the per-session limits, but not two at once the
    // host-wide budget (a point of this series counts about 210 bytes: 1,500 of them take 320 KiB).
    const own = await HostProcess.start([
      '--threads',
      '2',
      '--functions',
      'mirror',
      '--max-open-batch-bytes',
      '512KiB',
    ]);
    try {
      const peers = await Promise.all([
        TaskPeer.task(own.socket('mirror'), 'open-1'),
        TaskPeer.task(own.socket('mirror'), 'open-2'),
      ]);
      await Promise.all(peers.map((p, i) => p.write([begin(`host=${i}`), ...seqPoints(0, 1500)])));
      await Promise.race(peers.map((p) => p.closed));
      const [refused, holder] = peers[0]?.socket.destroyed === true ? [peers[0], peers[1]] : [peers[1], peers[0]];
      assert.match(
        refused?.errors().join() ?? '',
        /^mirror: batch of group 'host=\d' without EndBatch refused: the host-wide budget for open batches \(524288 bytes, --max-open-batch-bytes\) is used up$/,
      );
      const group = peers[0] === holder ? 'host=0' : 'host=1';
      await holder?.write([end(group)]);
      await holder?.next((r) => r.kind === 'end' || r.kind === 'error');
      assert.equal(holder?.seqs().length, 1500);
      assert.deepEqual(holder?.errors(), []);
      // The ended batch and the refused session gave their share back: a batch as large fits
      // again, then another of the holder's.
      const next = await TaskPeer.task(own.socket('mirror'), 'open-3');
      await next.write([begin('host=n'), ...seqPoints(0, 1500), end('host=n')]);
      await next.next((r) => r.kind === 'end' || r.kind === 'error');
      assert.deepEqual(next.errors(), []);
      next.end();
      await next.closed;
      await holder?.write([begin(group), ...seqPoints(0, 1500), end(group)]);
      let ends = 0;
      await holder?.next((r) => (r.kind === 'end' && ++ends === 2) || r.kind === 'error');
      assert.equal(holder?.seqs().length, 3000);
      assert.deepEqual(holder?.errors(), []);
      holder?.end();
      await holder?.closed;
    } finally {
      await own.stop();
    }
  });

  it('refuses a large frame received only in part once the host-wide --max-partial-bytes is used up', async () => {
    // Its own host, whose frame timeout cannot end a slow writer first.
    const own = await HostProcess.start([
      '--threads',
      '2',
      '--functions',
      'mirror',
      '--max-partial-bytes',
      String(24 << 20),
      '--frame-timeout',
      '60s',
    ]);
    try {
      // Two peers each send 5 MiB of a 6 MiB frame against a 24 MiB budget, which counts each
      // byte three times (what it costs in transit): whichever grows past it is refused; the
      // other keeps its place.
      const header = encodeUvarint(6 << 20);
      const peers = await Promise.all([
        TaskPeer.task(own.socket('mirror'), 'partial-1'),
        TaskPeer.task(own.socket('mirror'), 'partial-2'),
      ]);
      for (const p of peers) void p.writeBytes(new Uint8Array([...header, ...new Uint8Array(5 << 20)]));
      await Promise.race(peers.map((p) => p.closed));
      const [refused, holder] = peers[0]?.socket.destroyed === true ? [peers[0], peers[1]] : [peers[1], peers[0]];
      assert.match(
        refused?.errors().join() ?? '',
        /^mirror: frame of 6291456 bytes refused: the host-wide budget for partially received frames \(25165824 bytes, --max-partial-bytes\) is used up$/,
      );
      assert.deepEqual(holder?.errors(), []);
      assert.ok(own.logs.some((l) => l['code'] === 'KUDF_HOST_PARTIAL_BUDGET'));
      holder?.destroy();
      await holder?.closed;
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Released with its connection: a third peer's large frame is taken again.
      const third = await TaskPeer.task(own.socket('mirror'), 'partial-3');
      await third.writeBytes(new Uint8Array([...header, ...new Uint8Array(5 << 20)]));
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.deepEqual(third.errors(), []);
      third.destroy();
    } finally {
      await own.stop();
    }
  });

  it('ends a connection whose frame makes no progress for --frame-timeout', async () => {
    const peer = await TaskPeer.task(host.socket('mirror'), 'stalled');
    await peer.writeBytes(new Uint8Array([...encodeUvarint(100), 1, 2, 3]));
    await peer.closed;
    assert.deepEqual(peer.errors(), [
      'mirror: frame stalled: 3 of 100 bytes received, none for 3000 ms (--frame-timeout)',
    ]);
    assert.ok(host.logs.some((l) => l['code'] === 'KUDF_HOST_FRAME_TIMEOUT'));
  });

  it('treats a worker over --worker-heap-mb as a fault of the session in whose call it happened: the worker is replaced, the host lives on', async () => {
    const hog = await TaskPeer.task(host.socket('crash'), 'hog');
    await hog.write([{ kind: 'point', point: seqPoint(0, { mode: 'hog' }) }]);
    await hog.closed;
    assert.match(hog.errors().join(), /crash: session lost: worker crashed: .*(memory|heap)/i);
    await host.waitForLog((l) => l.msg === 'worker replaced');
    await assertServing((udf) => host.socket(udf));
    // Whether or not it shared the hog's worker, the bystander is never told anything (after()).
    assert.deepEqual(bystander.errors(), []);
  });
});

describe('open files', () => {
  it('runs with the soft open-file limit raised to the hard one', async () => {
    const host = await HostProcess.start(['--threads', '1', '--functions', 'mirror'], {
      fdLimit: { soft: 256, hard: 4096 },
    });
    try {
      const ready = await host.waitForLog((l) => l.msg === 'host ready');
      assert.equal(ready['fdLimit'], 4096);
      assert.equal(ready['fdHardLimit'], 4096);
    } finally {
      await host.stop();
    }
  });

  it('keeps its connections under the open-file limit, refusing the rest with an ErrorResponse, logged and counted, instead of libuv dropping them unseen', async () => {
    const host = await HostProcess.start(['--threads', '1', '--functions', 'mirror'], {
      fdLimit: { soft: 128, hard: 128 },
    });
    const peers: TaskPeer[] = [];
    try {
      const warned = host.logs.find((l) => l['code'] === 'KUDF_HOST_FD_LIMIT');
      assert.equal(warned?.['fdLimit'], 128);
      const allowed = Number(warned?.['allowed']);
      assert.ok(allowed > 0 && allowed < 128, `allowed ${allowed}`);
      for (let i = 0; i < 150; i++) peers.push(await TaskPeer.connect(host.socket('mirror')));
      await Promise.all(peers.slice(allowed).map((p) => p.closed));
      const fds = readdirSync(`/proc/${host.child.pid}/fd`).length;
      assert.ok(fds < 128, `the host holds ${fds} descriptors`);
      const refused = peers.filter((p) => p.errors().length > 0);
      assert.equal(refused.length, 150 - allowed, 'every connection over the limit was told');
      assert.equal(
        refused[0]?.errors()[0],
        `mirror: too many connections (${allowed}: the open-file limit of 128 allows ${allowed})`,
      );
      const line = await host.waitForLog((l) => l['code'] === 'KUDF_HOST_MAX_CONNECTIONS');
      assert.equal(line['maxConnections'], allowed);
      assert.ok(!host.logs.some((l) => l['code'] === 'KUDF_HOST_ACCEPT_FAILED'), 'no accept ran out of descriptors');
      for (const p of peers) p.destroy();
      await Promise.all(peers.map((p) => p.closed));
      // The host sees the closes a moment after the peers do.
      for (let attempt = 0; ; attempt++) {
        try {
          await assertServing((udf) => host.socket(udf));
          break;
        } catch (err) {
          if (attempt >= 20) throw err;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    } finally {
      for (const p of peers) p.destroy();
      await host.stop();
    }
  });
});
