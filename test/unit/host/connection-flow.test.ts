import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Connection, type ToWorker, type SessionPlace } from '../../../src/host/internal.js';
import { beforeDeadline } from '../../helpers/index.js';

const BOUND = 64 * 1024;
const TOTAL = 4 * 1024 * 1024;

/**
 * A place that behaves like a mirror session on a worker: every chunk comes back as a reply of
 * the same size on a later turn, and the end of input closes the session.
 */
function mirrorPlace(conn: () => Connection): SessionPlace {
  return {
    label: 'test',
    connections: new Set<number>(),
    send(message: ToWorker) {
      if (message.type === 'data') {
        const copy = new Uint8Array(message.bytes);
        setImmediate(() => conn().onOut(copy, copy.byteLength));
      } else if (message.type === 'end') {
        setImmediate(() => conn().onSessionClosed('eof'));
      }
    },
    written: () => undefined,
  };
}

/**
 * A real Unix socket pair whose server side has the given writable high-water mark: Node 22 and
 * later default to 64 KiB, Node 20 to 16 KiB, and setting it here lets Node 20 run the case that
 * hung on the newer defaults.
 */
async function serve(
  dir: string,
  highWaterMark: number,
): Promise<{ server: Server; path: string; accepted: Promise<Socket> }> {
  const path = join(dir, 'flow.sock');
  let accept!: (s: Socket) => void;
  const accepted = new Promise<Socket>((resolve) => (accept = resolve));
  const server = createServer({ highWaterMark, allowHalfOpen: true }, accept);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return { server, path, accepted };
}

describe('Connection flow control', () => {
  for (const highWaterMark of [16 * 1024, 1024 * 1024]) {
    it(`reads again once a slow reader has taken the replies (socket high-water mark ${highWaterMark / 1024} KiB)`, async (t) => {
      const dir = await mkdtemp(join(tmpdir(), 'kudf-flow-'));
      t.after(() => rm(dir, { recursive: true, force: true }));
      const { server, path, accepted } = await serve(dir, highWaterMark);
      t.after(() => server.close());
      const client = connect({ path, allowHalfOpen: true });
      const socket = await accepted;
      const conn: Connection = new Connection(
        1,
        socket,
        'mirror',
        mirrorPlace(() => conn),
        pino({ level: 'silent' }),
        {
          highWaterMark: BOUND,
          maxFrameBytes: 1 << 20,
          fastKeepalives: false,
          coalesceReadsBelow: 0,
        },
      );

      // The client writes everything as fast as it is let, but reads nothing for a while, so the
      // host's replies pile up in its socket past the bound and reading pauses.
      let received = 0;
      const allBack = new Promise<void>((resolve, reject) => {
        client.on('data', (chunk: Buffer) => {
          received += chunk.byteLength;
          if (received === TOTAL) resolve();
        });
        client.on('close', () =>
          received === TOTAL ? resolve() : reject(new Error(`closed after ${received} of ${TOTAL} bytes`)),
        );
      });
      client.pause();
      let sent = 0;
      const piece = Buffer.alloc(16 * 1024, 7);
      const writeAll = new Promise<void>((resolve) => {
        const pump = (): void => {
          while (sent < TOTAL) {
            sent += piece.byteLength;
            if (!client.write(piece)) return;
          }
          client.end();
          resolve();
        };
        client.on('drain', pump);
        pump();
      });
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(sent < TOTAL, 'the host pushed back while the client did not read');
      client.resume();

      // A connection left paused for good would stall both promises: give up long after a
      // working one has finished (a few hundred ms here) and report how far it got.
      const outcome = await beforeDeadline(
        Promise.all([writeAll, allBack, conn.closed]).then(() => 'done' as const),
        20_000,
      );
      client.destroy();
      socket.destroy();
      assert.equal(outcome, 'done', `stalled with ${sent} bytes sent and ${received} received of ${TOTAL}`);
      assert.equal(received, TOTAL);
    });
  }
});
