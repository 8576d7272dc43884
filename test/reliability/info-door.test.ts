/**
 * Before any connection needs a worker, `kudf serve` answers InfoRequests on the main thread:
 * Kapacitor's start-up connections and health probes leave the workers unstarted, and the first
 * other request hands the connection to the workers with no byte lost or reordered.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { readHostStatus } from '../../src/host/index.js';
import { encodeFrame, encodeRequest, encodeUvarint, type Request } from '../../src/protocol/index.js';
import { HostProcess, waitFor } from '../helpers/index.js';
import { TaskPeer, seqPoints } from './task-peer.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

const MIRROR_INFO = { kind: 'info', wants: 'stream', provides: 'stream', options: {} };
/** A response as plain JSON: decoded records have no prototype. */
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const hosts: HostProcess[] = [];
async function host(): Promise<HostProcess> {
  const h = await HostProcess.start(['--threads', '2']);
  hosts.push(h);
  // The status file is written just after the ready line.
  await waitFor('the host status file', async () => (await readHostStatus(h.socketDir)) !== undefined);
  return h;
}

/** Info, Init, then points: what a peer sending everything at once would write. */
const session = (n: number): Request[] => [
  { kind: 'info' },
  { kind: 'init', options: [], taskID: 't', nodeID: 'n' },
  ...seqPoints(0, n),
];

async function servedInOrder(peer: TaskPeer, n: number): Promise<void> {
  await peer.next((r) => r.kind === 'point' && r.point.fields['seq'] === BigInt(n - 1));
  assert.deepEqual(plain(peer.responses[0]), MIRROR_INFO);
  assert.equal(peer.responses[1]?.kind, 'init');
  assert.deepEqual(
    peer.seqs(),
    Array.from({ length: n }, (_, i) => i),
  );
  assert.deepEqual(peer.errors(), []);
  assert.equal(peer.badReply, undefined);
}

describe('Info before the workers start', () => {
  after(async () => {
    for (const h of hosts) await h.stop();
  });

  it('answers Info-only connections on the main thread and starts no worker', async () => {
    const h = await host();
    for (let i = 0; i < 5; i++) {
      const peer = await TaskPeer.connect(h.socket('mirror'));
      await peer.write([{ kind: 'info' }, { kind: 'info' }]);
      await peer.next((r) => r.kind === 'info' && peer.responses.length === 2);
      peer.socket.end();
      await peer.closed;
      assert.deepEqual(plain(peer.responses), [MIRROR_INFO, MIRROR_INFO]);
    }
    const status = await readHostStatus(h.socketDir);
    assert.equal(status?.idle, 2);
    assert.equal(status?.up, 0);
    // A task afterwards starts them and is served.
    const task = await TaskPeer.task(h.socket('mirror'), 'after-info');
    await task.write(seqPoints(0, 3));
    await task.next((r) => r.kind === 'point' && r.point.fields['seq'] === 2n);
    assert.deepEqual(task.seqs(), [0, 1, 2]);
    task.socket.end();
    await task.closed;
    const started = await readHostStatus(h.socketDir);
    assert.equal(started?.up, 2);
  });

  it('refuses an oversized length prefix after Info with an ErrorResponse, still starting no worker', async () => {
    const h = await host();
    const peer = await TaskPeer.connect(h.socket('mirror'));
    await peer.write([{ kind: 'info' }]);
    await peer.writeBytes(encodeUvarint(2 ** 31));
    await peer.closed;
    assert.deepEqual(plain(peer.responses[0]), MIRROR_INFO);
    assert.match(peer.errors().join(), /invalid frame: .*2147483648/);
    const status = await readHostStatus(h.socketDir);
    assert.equal(status?.up, 0);
  });

  it('hands over Info, Init and points sent in one write', async () => {
    const h = await host();
    const peer = await TaskPeer.connect(h.socket('mirror'));
    await peer.write(session(20));
    await servedInOrder(peer, 20);
    peer.socket.end();
    await peer.closed;
  });

  it('hands over Info, Init and points written at every frame boundary and inside frames', async () => {
    const h = await host();
    const peer = await TaskPeer.connect(h.socket('mirror'));
    const frames = session(10).map((r) => encodeFrame(encodeRequest(r)));
    // Info alone and answered, then Init split inside its length prefix and body, then each point.
    await peer.writeBytes(frames[0] as Uint8Array);
    await peer.next((r) => r.kind === 'info');
    const init = frames[1] as Uint8Array;
    await peer.writeBytes(init.subarray(0, 1));
    await peer.writeBytes(init.subarray(1, 3));
    await peer.writeBytes(init.subarray(3));
    for (const f of frames.slice(2)) await peer.writeBytes(f);
    await servedInOrder(peer, 10);
    peer.socket.end();
    await peer.closed;
  });
});
