import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { pino } from 'pino';
import {
  Connection,
  type ToWorker,
  holdReads,
  releaseReads,
  listenUnix,
  type SessionPlace,
} from '../../../src/host/internal.js';
import { beforeDeadline } from '../../helpers/index.js';

const TOTAL = 1024 * 1024;
const SETTLE_MS = 200;

/** The host's own listener on a temp path, and a client that writes TOTAL bytes at once. */
async function hostAndWriter(
  t: TestContext,
  onConnection: (socket: Socket) => void,
): Promise<{ server: Server; client: Socket }> {
  const dir = await mkdtemp(join(tmpdir(), 'kudf-gate-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'gate.sock');
  const server = await listenUnix(path, { mode: 0o600, dirMode: 0o700 }, onConnection);
  t.after(() => server.close());
  const client = connect({ path, allowHalfOpen: true });
  client.on('error', () => undefined);
  t.after(() => client.destroy());
  client.write(Buffer.alloc(TOTAL, 1));
  return { server, client };
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

describe('read gate', () => {
  it('a held socket reads nothing more from the kernel, and reads the rest once released', async (t) => {
    let accepted!: (s: Socket) => void;
    const socketReady = new Promise<Socket>((resolve) => (accepted = resolve));
    await hostAndWriter(t, accepted);
    const socket = await socketReady;
    t.after(() => socket.destroy());

    let received = 0;
    let firstChunk = 0;
    const all = new Promise<void>((resolve) =>
      socket.on('data', (chunk: Buffer) => {
        if (received === 0) {
          firstChunk = chunk.byteLength;
          holdReads(socket);
        }
        received += chunk.byteLength;
        if (received === TOTAL) resolve();
      }),
    );
    await settle();
    // Plain pause() leaves Node reading one more chunk into the stream's buffer (64 KiB here).
    assert.equal(socket.readableLength, 0, 'nothing read ahead into the stream buffer while held');
    assert.equal(received, firstChunk, 'no data delivered while held');

    releaseReads(socket);
    assert.equal(
      await beforeDeadline(
        all.then(() => 'all' as const),
        10_000,
      ),
      'all',
    );
    assert.equal(received, TOTAL);
  });

  it('a connection paused for its backlog holds no unscanned input beyond what it handed on', async (t) => {
    const handedOn: number[] = [];
    // A place that never finishes anything: the connection must stop at its bound.
    const stuckPlace: SessionPlace = {
      label: 'test',
      connections: new Set<number>(),
      send(message: ToWorker) {
        if (message.type === 'data') handedOn.push(message.bytes.byteLength);
      },
      written: () => undefined,
    };
    const bound = 64 * 1024;
    let socket!: Socket;
    await hostAndWriter(t, (s) => {
      socket = s;
      new Connection(1, s, 'mirror', stuckPlace, pino({ level: 'silent' }), {
        highWaterMark: bound,
        maxFrameBytes: 1 << 20,
        fastKeepalives: true,
        coalesceReadsBelow: 0,
      });
    });
    await settle();
    t.after(() => socket.destroy());
    const handed = handedOn.reduce((a, b) => a + b, 0);
    assert.ok(handed > bound, `reads until over the bound (${handed} bytes handed on)`);
    assert.ok(handed <= bound + 64 * 1024, `and stops within one read of it (${handed} bytes handed on)`);
    assert.equal(
      socket.readableLength,
      0,
      'no chunk parked in the stream buffer, out of sight of the keepalive scanner',
    );
  });

  it('falls back to plain pause and resume on a socket without a handle', () => {
    const socket = new Socket();
    holdReads(socket);
    assert.equal(socket.isPaused(), true);
    releaseReads(socket);
    assert.equal(socket.isPaused(), false);
    socket.destroy();
  });
});
