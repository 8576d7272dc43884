import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { frameSpans, LoadConnection, echoWorkload } from '../../bench/internal.js';
import { FrameDecoder, decodeRequest, encodeUvarint } from '../../src/protocol/index.js';

describe("load generator: Kapacitor's write mode", () => {
  let dir = '';
  let server: Server;
  let received: Buffer[] = [];
  const socketPath = (): string => join(dir, 'echo.sock');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kudf-kw-'));
    // A peer that sends every byte back and keeps a copy of what it read.
    server = createServer({ allowHalfOpen: true }, (socket) => {
      socket.on('data', (chunk: Buffer) => {
        received.push(Buffer.from(chunk));
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

  it('cuts a chunk into length prefixes and bodies that add up to the chunk, frame by frame', () => {
    const bodies = [0, 1, 127, 128, 300];
    const chunk = Buffer.concat(bodies.flatMap((n, i) => [encodeUvarint(n), Buffer.alloc(n, i + 1)]));
    const spans = frameSpans(chunk);
    assert.equal(spans.length, bodies.length);
    assert.deepEqual(
      spans.map((s) => s.end - s.bodyStart),
      bodies,
    );
    assert.deepEqual(
      spans.map((s) => s.bodyStart - s.start),
      [1, 1, 1, 2, 2],
    );
    assert.equal(spans[0]?.start, 0);
    for (let i = 1; i < spans.length; i++) assert.equal(spans[i]?.start, spans[i - 1]?.end);
    assert.equal(spans.at(-1)?.end, chunk.length);
  });

  it('writes every frame as a length write and a body write, never two frames in one write, and loses or reorders nothing', async () => {
    received = [];
    const workload = echoWorkload();
    const conn = await LoadConnection.open({
      socketPath: socketPath(),
      workload,
      maxPoints: workload.pointsPerChunk,
      maxSeconds: 60,
      keepaliveMs: 2,
      writes: 'kapacitor',
    });
    const result = await conn.run();
    assert.equal(result.error, undefined);
    assert.equal(result.sentPoints, workload.pointsPerChunk);
    assert.equal(result.returnedPoints, workload.pointsPerChunk);
    assert.ok(result.keepalivesSent > 0, 'no keepalive went out during the run');
    assert.equal(result.keepaliveMs.length, result.keepalivesSent);

    // What the peer read: the chunk's frames in order, with keepalives only between frames.
    const decoder = new FrameDecoder({ maxFrameBytes: 1 << 20 });
    decoder.feed(Buffer.concat(received));
    const points: Buffer[] = [];
    let keepalives = 0;
    for (let body = decoder.nextFrame(); body !== undefined; body = decoder.nextFrame()) {
      const request = decodeRequest(body);
      if (request.kind === 'keepalive') keepalives++;
      else points.push(Buffer.concat([encodeUvarint(body.length), body]));
    }
    assert.equal(decoder.hasPartialFrame, false);
    assert.equal(keepalives, result.keepalivesSent);
    assert.deepEqual(Buffer.concat(points), workload.chunk);

    const calls = result.writeCalls;
    assert.ok(calls !== undefined);
    const frames = result.sentPoints + result.keepalivesSent;
    assert.ok(calls.calls >= 2 * frames, `${calls.calls} write calls for ${frames} frames`);
    const largestBody = Math.max(...frameSpans(workload.chunk).map((s) => s.end - s.bodyStart));
    assert.ok(
      calls.largest <= largestBody,
      `one write of ${calls.largest} bytes, the largest frame body is ${largestBody}`,
    );
  });

  it('with a window of points in flight, stops on a chunk boundary after the time cap with every point returned', async () => {
    const workload = echoWorkload();
    const conn = await LoadConnection.open({
      socketPath: socketPath(),
      workload,
      maxPoints: 1e12,
      maxSeconds: 0.3,
      keepaliveMs: 0,
      window: 5,
      writes: 'kapacitor',
    });
    const result = await conn.run();
    assert.equal(result.error, undefined);
    assert.ok(result.sentPoints > 0);
    assert.equal(result.sentPoints % workload.pointsPerChunk, 0);
    assert.equal(result.returnedPoints, result.sentPoints);
  });
});
