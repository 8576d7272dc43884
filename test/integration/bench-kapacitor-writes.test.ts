import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  echoWorkload,
  edgeDetectWorkload,
  frameSpans,
  LoadConnection,
  mirrorWorkload,
  runLoad,
} from '../../bench/internal.js';
import { encodeUvarint } from '../../src/protocol/index.js';
import { HostProcess, RecordingEcho, requestFramesRead } from '../helpers/index.js';

// One recording echo peer for the generator's writer thread and for the Go client alike.
let peer: RecordingEcho;
const socketPath = (): string => peer.path;

before(async () => {
  peer = await RecordingEcho.start();
});

after(async () => {
  await peer.stop();
});

describe("load generator: Kapacitor's write mode", () => {
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
    peer.clear();
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
    const read = requestFramesRead(Buffer.concat(peer.received.flat()));
    assert.equal(read.partial, false);
    assert.equal(read.keepalives, result.keepalivesSent);
    assert.deepEqual(read.frames, workload.chunk);

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

// The Go client is the bench's second source of Kapacitor's write pattern (`-gw` cases): it must
// write what it is given, two writes a frame, and count what comes back as the TypeScript
// generator does. Counts are checked here, never times.
describe("load generator: Kapacitor's write pattern from the Go client", () => {
  it('writes every frame as a length write and a body write, on every connection, and loses or reorders nothing', async () => {
    peer.clear();
    const workload = echoWorkload();
    const connections = 3;
    // Enough chunks for a run that outlasts many keepalive periods on any machine.
    const chunks = 20;
    const result = await runLoad(connections, {
      socketPath: socketPath(),
      workload,
      maxPoints: connections * chunks * workload.pointsPerChunk,
      maxSeconds: 60,
      keepaliveMs: 1,
      writes: 'go',
    });
    assert.deepEqual(result.errors, []);
    assert.equal(result.connections.length, connections);
    assert.equal(peer.received.length, connections);
    assert.ok(result.clientCpuSeconds !== undefined && result.clientCpuSeconds > 0);
    const largestBody = Math.max(...frameSpans(workload.chunk).map((s) => s.end - s.bodyStart));
    for (const [i, conn] of result.connections.entries()) {
      assert.equal(conn.sentPoints, chunks * workload.pointsPerChunk);
      assert.equal(conn.returnedPoints, chunks * workload.pointsPerChunk);
      assert.ok(conn.keepalivesSent > 0, 'no keepalive went out during the run');
      assert.equal(conn.keepaliveMs.length, conn.keepalivesSent);

      // What the peer read: the chunk's frames in order, with keepalives only between frames.
      const read = requestFramesRead(Buffer.concat(peer.received[i] ?? []));
      assert.equal(read.partial, false);
      assert.equal(read.keepalives, conn.keepalivesSent);
      assert.ok(read.frames.equals(Buffer.concat(Array.from({ length: chunks }, () => workload.chunk))));

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
