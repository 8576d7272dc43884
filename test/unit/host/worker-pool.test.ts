import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pino } from 'pino';
import { WorkerPool, type OutMessage } from '../../../src/host/internal.js';
import { mirror } from '../../../udfs/index.js';

function pool(threads: number, onMessage: (message: OutMessage) => void = () => undefined): WorkerPool {
  return new WorkerPool({
    threads,
    setup: {
      udfModules: [new URL('../../../udfs/mirror.js', import.meta.url).href],
      limits: { maxFrameBytes: 1 << 20, initTimeoutMs: 0, maxBatchPoints: 1000, maxBatchBytes: 1 << 20 },
      loadTimeoutMs: 10_000,
      logLevel: 'silent',
      logFd: 2,
    },
    registry: new Map([['mirror', mirror]]),
    logger: pino({ level: 'silent' }),
    heartbeatMs: 1000,
    stallTimeoutMs: 10_000,
    onMessage,
    onLost: () => undefined,
  });
}

describe('WorkerPool: workers start with the first connection', () => {
  it('starts none with the pool, then every one at the first call, and reports them up', async () => {
    const p = pool(2);
    await p.start();
    try {
      assert.deepEqual(p.health, { threads: 2, up: 0, idle: 2, down: [], onMainThread: 0 });
      assert.deepEqual(p.labels, ['slot-1 (idle)', 'slot-2 (idle)']);
      assert.throws(() => p.assign(1), /await startWorkers\(\) first/);
      const first = p.startWorkers();
      assert.ok(first !== undefined);
      assert.equal(p.startWorkers(), first, 'a connection arriving meanwhile waits for the same start');
      await first;
      assert.deepEqual(p.health, { threads: 2, up: 2, idle: 0, down: [], onMainThread: 0 });
      assert.equal(p.startWorkers(), undefined, 'nothing to wait for once they are up');
      const a = p.assign(1);
      const b = p.assign(2);
      assert.notEqual(a.label, b.label, 'the least loaded worker takes the next connection');
      assert.match(a.label, /^worker-\d$/);
    } finally {
      await p.stop();
    }
  });

  it('has nothing to start with --threads 0', async () => {
    const p = pool(0);
    await p.start();
    assert.equal(p.startWorkers(), undefined);
    assert.equal(p.assign(1).label, 'main');
    await p.stop();
  });
});

describe('WorkerPool: written reply buffers', () => {
  it('hands them back to their worker, so the main thread no longer holds their memory', async () => {
    const p = pool(1);
    await p.start();
    try {
      await p.startWorkers();
      const place = p.assign(1);
      assert.match(place.label, /^worker-/, 'a worker thread, not the main thread');
      const buffers = Array.from({ length: 100 }, () => new ArrayBuffer(4096));
      for (const b of buffers) place.written(b);
      // The first 64 went in one batch at once; the rest go at the end of this turn.
      assert.equal(buffers.filter((b) => b.byteLength === 0).length, 64);
      await nextTurn();
      assert.deepEqual(
        buffers.map((b) => b.byteLength),
        buffers.map(() => 0),
      );
    } finally {
      await p.stop();
    }
  });

  it('keeps them on the main thread when sessions run there (--threads 0)', async () => {
    const p = pool(0);
    await p.start();
    const b = new ArrayBuffer(4096);
    p.assign(1).written(b);
    await nextTurn();
    assert.equal(b.byteLength, 4096);
    await p.stop();
  });
});

describe('WorkerPool: many connections closing at once', () => {
  it('ends every session and answers each connection, in the order the closes came', async () => {
    const ended: number[] = [];
    let allEnded: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (allEnded = resolve));
    const n = 500;
    const p = pool(1, (message) => {
      if (message.closed === undefined) return;
      ended.push(message.id);
      if (ended.length === n) allEnded();
    });
    await p.start();
    await p.startWorkers();
    try {
      const ids = Array.from({ length: n }, (_, i) => i + 1);
      const places = ids.map((id) => p.assign(id));
      for (const [i, place] of places.entries()) place.send({ type: 'open', id: ids[i] as number, udf: 'mirror' });
      await nextTurn();
      // Half end (EOF), half are aborted after their end, as a reset connection is: one answer each.
      for (const [i, place] of places.entries()) {
        const id = ids[i] as number;
        place.send({ type: 'end', id });
        if (id % 2 === 0) place.send({ type: 'abort', id, reason: 'connection closed by peer' });
      }
      await done;
      assert.deepEqual(ended, ids);
    } finally {
      await p.stop();
    }
  });
});
