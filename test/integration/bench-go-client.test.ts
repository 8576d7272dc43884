import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { echoWorkload, edgeDetectWorkload, frameSpans, mirrorWorkload, runLoad } from '../../bench/internal.js';
import { FrameDecoder, decodeRequest, encodeUvarint } from '../../src/protocol/index.js';
import { HostProcess } from '../helpers/index.js';

// The Go client is the bench's second source of Kapacitor's write pattern (`-gw` cases): it must
// write what it is given, two writes a frame, and count what comes back as the TypeScript
// generator does. Counts are checked here, never times.
describe("load generator: Kapacitor's write pattern from the Go client", () => {
  let dir = '';
  let server: Server;
  /** What the peer read, a buffer a connection. */
  let received: Buffer[][] = [];
  const socketPath = (): string => join(dir, 'echo.sock');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kudf-gw-'));
    // A peer that sends every byte back and keeps a copy of what it read.
    server = createServer({ allowHalfOpen: true }, (socket) => {
      const mine: Buffer[] = [];
      received.push(mine);
      socket.on('data', (chunk: Buffer) => {
        mine.push(Buffer.from(chunk));
        socket.write(chunk);
      });
      socket.on('end', () => socket.end());
    });
    await new Promise<void>((resolve) => server.listen(socketPath(), resolve));
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every frame as a length write and a body write, on every connection, and loses or reorders nothing', async () => {
    received = [];
    const workload = echoWorkload();
    const connections = 3;
    const result = await runLoad(connections, {
      socketPath: socketPath(),
      workload,
      maxPoints: connections * workload.pointsPerChunk,
      maxSeconds: 60,
      keepaliveMs: 1,
      writes: 'go',
    });
    assert.deepEqual(result.errors, []);
    assert.equal(result.connections.length, connections);
    assert.equal(received.length, connections);
    assert.ok(result.clientCpuSeconds !== undefined && result.clientCpuSeconds > 0);
    const largestBody = Math.max(...frameSpans(workload.chunk).map((s) => s.end - s.bodyStart));
    for (const [i, conn] of result.connections.entries()) {
      assert.equal(conn.sentPoints, workload.pointsPerChunk);
      assert.equal(conn.returnedPoints, workload.pointsPerChunk);
      assert.ok(conn.keepalivesSent > 0, 'no keepalive went out during the run');
      assert.equal(conn.keepaliveMs.length, conn.keepalivesSent);

      // What the peer read: the chunk's frames in order, with keepalives only between frames.
      const decoder = new FrameDecoder({ maxFrameBytes: 1 << 20 });
      decoder.feed(Buffer.concat(received[i] ?? []));
      const points: Buffer[] = [];
      let keepalives = 0;
      for (let body = decoder.nextFrame(); body !== undefined; body = decoder.nextFrame()) {
        const request = decodeRequest(body);
        if (request.kind === 'keepalive') keepalives++;
        else points.push(Buffer.concat([encodeUvarint(body.length), body]));
      }
      assert.equal(decoder.hasPartialFrame, false);
      assert.equal(keepalives, conn.keepalivesSent);
      assert.deepEqual(Buffer.concat(points), workload.chunk);

      const frames = conn.sentPoints + conn.keepalivesSent;
      assert.equal(conn.writeCalls?.calls, 2 * frames, 'two writes a frame');
      assert.ok((conn.writeCalls?.largest ?? Infinity) <= largestBody, JSON.stringify(conn.writeCalls));
    }
  });

  it('stops at a chunk boundary once the time cap has passed', async () => {
    const workload = echoWorkload();
    const result = await runLoad(1, {
      socketPath: socketPath(),
      workload,
      maxPoints: 1e12,
      maxSeconds: 0.2,
      keepaliveMs: 0,
      writes: 'go',
    });
    assert.deepEqual(result.errors, []);
    assert.ok(result.sentPoints > 0);
    assert.equal(result.sentPoints % workload.pointsPerChunk, 0);
    assert.equal(result.returnedPoints, result.sentPoints);
  });

  it('refuses what it does not do: process mode, a pace or a window', async () => {
    const workload = echoWorkload();
    const base = { workload, maxPoints: 1, maxSeconds: 1, keepaliveMs: 0, writes: 'go' as const };
    await assert.rejects(runLoad(1, { ...base, process: { command: 'true', args: [] } }), /socket/);
    await assert.rejects(runLoad(1, { ...base, socketPath: socketPath(), pointsPerSec: 10 }), /saturating/);
    await assert.rejects(runLoad(1, { ...base, socketPath: socketPath(), window: 10 }), /saturating/);
  });

  describe('against a real host', () => {
    let host: HostProcess;
    before(async () => {
      host = await HostProcess.start(['--threads', '1']);
    });
    after(async () => {
      await host.stop();
    });

    for (const makeWorkload of [mirrorWorkload, edgeDetectWorkload]) {
      const workload = makeWorkload();
      it(`sends Init, then gets back what ${workload.udf} returns on 2 connections, every keepalive answered`, async () => {
        const result = await runLoad(2, {
          socketPath: host.socket(workload.udf),
          workload,
          maxPoints: 4 * workload.pointsPerChunk,
          maxSeconds: 60,
          keepaliveMs: 1,
          writes: 'go',
        });
        assert.deepEqual(result.errors, []);
        assert.equal(result.sentPoints, 4 * workload.pointsPerChunk);
        assert.equal(result.returnedPoints, 2 * workload.expectedReturned(2 * workload.pointsPerChunk));
        assert.ok(result.keepaliveMs.length > 0);
      });
    }

    it('reports a host that refuses Init as a failed run', async () => {
      const workload = { ...edgeDetectWorkload(), init: [] };
      await assert.rejects(
        runLoad(1, {
          socketPath: host.socket(workload.udf),
          workload,
          maxPoints: workload.pointsPerChunk,
          maxSeconds: 10,
          keepaliveMs: 0,
          writes: 'go',
        }),
        /Init refused: .*field/,
      );
    });
  });
});
