import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pino } from 'pino';
import { WorkerPool, type OutMessage } from '../../../src/host/internal.js';
import { FrameDecoder, decodeResponse, encodeFrame, encodeRequest } from '../../../src/protocol/index.js';
import { mirror } from '../../../udfs/index.js';
import { waitFor } from '../../helpers/index.js';

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
      // The first 64 went in one batch at once; the rest wait for a message to ride along with.
      assert.equal(buffers.filter((b) => b.byteLength === 0).length, 64);
      await nextTurn();
      assert.equal(buffers.filter((b) => b.byteLength === 0).length, 64, 'a turn alone sends no message of its own');
      // With no reads to ride along with, they go by themselves a few milliseconds later.
      await waitFor(
        'the last 36 handed back',
        () => Promise.resolve(buffers.every((b) => b.byteLength === 0)),
        5000,
        5,
      );
    } finally {
      await p.stop();
    }
  });

  it('sends them with the next reads to the same worker: one message, one wake-up of the worker', async () => {
    const outs: OutMessage[] = [];
    const p = pool(1, (m) => outs.push(m));
    await p.start();
    try {
      await p.startWorkers();
      const place = p.assign(1);
      place.send({ type: 'open', id: 1, udf: 'mirror', keepalivesAnswered: false });
      const written = [new ArrayBuffer(4096), new ArrayBuffer(4096)];
      for (const b of written) place.written(b);
      await nextTurn();
      assert.deepEqual(
        written.map((b) => b.byteLength),
        [4096, 4096],
        'not sent alone at the end of the turn',
      );
      const read = new Uint8Array(encodeFrame(encodeRequest({ kind: 'keepalive', time: 7n })));
      const readBytes = read.byteLength;
      place.send({ type: 'data', id: 1, bytes: read });
      await nextTurn();
      assert.deepEqual(
        written.map((b) => b.byteLength),
        [0, 0],
        'handed over with the read of the next turn',
      );
      await waitFor('the answer to the read', () => Promise.resolve(outs.length > 0), 5000, 5);
      assert.equal(outs[0]?.consumed, readBytes, 'the read came through whole');
    } finally {
      await p.stop();
    }
  });

  it('sends them at once, without waiting for reads, once a megabyte of them waits', async () => {
    const p = pool(1);
    await p.start();
    try {
      await p.startWorkers();
      const place = p.assign(1);
      const big = [new ArrayBuffer(512 * 1024), new ArrayBuffer(512 * 1024)];
      place.written(big[0] as ArrayBuffer);
      assert.equal(big[0]?.byteLength, 512 * 1024, 'half a megabyte waits');
      place.written(big[1] as ArrayBuffer);
      assert.deepEqual(
        big.map((b) => b.byteLength),
        [0, 0],
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

describe('WorkerPool: reads handed on together', () => {
  it('delivers the reads of one turn for several connections in order, each answered for its own connection, and an end after them', async () => {
    const outs: OutMessage[] = [];
    const p = pool(1, (m) => outs.push(m));
    await p.start();
    await p.startWorkers();
    try {
      const keepalive = (time: bigint): Uint8Array =>
        new Uint8Array(encodeFrame(encodeRequest({ kind: 'keepalive', time })));
      const place = p.assign(1);
      for (const id of [1, 2, 3]) {
        if (id !== 1) p.assign(id);
        place.send({ type: 'open', id, udf: 'mirror', keepalivesAnswered: false });
      }
      // One turn: two reads of connection 1 around the others', then its end.
      const reads = [
        { id: 1, bytes: keepalive(11n) },
        { id: 2, bytes: keepalive(21n) },
        { id: 3, bytes: keepalive(31n) },
        { id: 1, bytes: keepalive(12n) },
      ];
      const handed = reads.reduce((sum, r) => sum + r.bytes.byteLength, 0);
      for (const r of reads) place.send({ type: 'data', ...r });
      place.send({ type: 'end', id: 1 });
      await waitFor(
        'five replies, the last one closing',
        () => Promise.resolve(outs.some((o) => o.closed !== undefined) && outs.length >= 5),
        10_000,
        10,
      );
      const times = new Map<number, bigint[]>();
      for (const out of outs) {
        if (out.bytes === null) continue;
        const decoder = new FrameDecoder({ maxFrameBytes: 1024 });
        decoder.feed(out.bytes);
        for (let f = decoder.nextFrame(); f !== undefined; f = decoder.nextFrame()) {
          const r = decodeResponse(f);
          if (r.kind === 'keepalive') times.set(out.id, [...(times.get(out.id) ?? []), r.time]);
        }
      }
      assert.deepEqual(Object.fromEntries(times), { 1: [11n, 12n], 2: [21n], 3: [31n] });
      const ofOne = outs.filter((o) => o.id === 1);
      assert.equal(ofOne.at(-1)?.closed?.reason, 'eof', 'the end of connection 1 comes after its reads');
      assert.equal(
        outs.reduce((sum, o) => sum + o.consumed, 0),
        handed,
        'every byte handed on is reported consumed',
      );
    } finally {
      await p.stop();
    }
  });
});
