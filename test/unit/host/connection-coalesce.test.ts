import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import {
  Connection,
  HoldClock,
  type ReadHoldClock,
  type ToWorker,
  listenUnix,
  type SessionPlace,
} from '../../../src/host/internal.js';
import {
  FrameDecoder,
  decodeResponse,
  encodeFrame,
  encodeRequest,
  encodeUvarint,
} from '../../../src/protocol/index.js';
import { beforeDeadline } from '../../helpers/index.js';

const COALESCE_BELOW = 16 * 1024;
const SETTLE_MS = 150;
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

/** A session place that records what it is handed and answers only when told to. */
class HeldPlace implements SessionPlace {
  readonly label = 'test';
  readonly connections = new Set<number>();
  readonly handed: Uint8Array[] = [];
  private unanswered = 0;
  conn: Connection | undefined;

  send(message: ToWorker): void {
    if (message.type !== 'data') return;
    this.handed.push(new Uint8Array(message.bytes));
    this.unanswered += message.bytes.byteLength;
  }

  written(): void {}

  /** The session has taken everything handed to it so far. */
  answer(): void {
    const consumed = this.unanswered;
    this.unanswered = 0;
    this.conn?.onOut(null, consumed);
  }

  get bytes(): Buffer {
    return Buffer.concat(this.handed);
  }
}

/** A place that answers every hand-off on a later turn of the event loop, as a worker does. */
class PromptPlace extends HeldPlace {
  override send(message: ToWorker): void {
    super.send(message);
    setImmediate(() => this.answer());
  }
}

async function connection(
  t: TestContext,
  place: HeldPlace,
  holdClock?: ReadHoldClock,
  highWaterMark = 1 << 20,
): Promise<Socket> {
  const dir = await mkdtemp(join(tmpdir(), 'kudf-coalesce-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'c.sock');
  const server = await listenUnix(path, { mode: 0o600, dirMode: 0o700 }, (socket) => {
    place.conn = new Connection(1, socket, 'mirror', place, pino({ level: 'silent' }), {
      highWaterMark,
      maxFrameBytes: 1 << 20,
      fastKeepalives: true,
      coalesceReadsBelow: COALESCE_BELOW,
      ...(holdClock !== undefined ? { holdClock } : {}),
    });
    t.after(() => socket.destroy());
  });
  t.after(() => server.close());
  const client = connect({ path, allowHalfOpen: true });
  client.on('error', () => undefined);
  await new Promise<void>((resolve) => client.once('connect', resolve));
  t.after(() => client.destroy());
  return client;
}

/** A point-sized frame (any body: the place does not decode) written as Kapacitor does, length then body. */
function writeFrameInTwo(client: Socket, body: Buffer): Buffer {
  const prefix = encodeUvarint(body.length);
  client.write(prefix);
  client.write(body);
  return Buffer.concat([prefix, body]);
}

/** Resolves once the place has been handed `length` bytes. */
function arrived(place: HeldPlace, length: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (place.bytes.length >= length) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
    timer.unref();
  });
}

/** Resolves once the place has been handed `count` reads. */
function handedAtLeast(place: HeldPlace, count: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (place.handed.length >= count) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
    timer.unref();
  });
}

const body = (i: number): Buffer => Buffer.alloc(120, i % 251);

describe('Connection read coalescing', () => {
  it('holds reads after a small read until the session has taken it, then hands on everything that arrived meanwhile at once', async (t) => {
    const place = new HeldPlace();
    const client = await connection(t, place);
    const sent = [writeFrameInTwo(client, body(0))];
    await settle();
    const first = place.handed.length;
    assert.ok(first >= 1, 'the first read is handed on');
    for (let i = 1; i <= 100; i++) sent.push(writeFrameInTwo(client, body(i)));
    await settle();
    assert.equal(place.handed.length, first, 'nothing more is read while the session has not taken the first read');
    place.answer();
    await settle();
    assert.deepEqual(place.bytes, Buffer.concat(sent), 'every byte, in order');
    assert.ok(place.handed.length <= first + 2, `200 writes came in ${place.handed.length - first} more hand-offs`);
  });

  it('answers a keepalive that arrived during a hold as soon as the held bytes are taken, and hands it on in order', async (t) => {
    const place = new HeldPlace();
    const client = await connection(t, place);
    const replies: Buffer[] = [];
    client.on('data', (chunk: Buffer) => replies.push(chunk));
    const sent = [writeFrameInTwo(client, body(0))];
    await settle();
    sent.push(writeFrameInTwo(client, body(1)));
    const keepalive = Buffer.from(encodeFrame(encodeRequest({ kind: 'keepalive', time: 12345n })));
    client.write(keepalive.subarray(0, 1));
    client.write(keepalive.subarray(1));
    sent.push(keepalive);
    await settle();
    assert.equal(replies.length, 0, 'held: the keepalive has not been read yet');
    place.answer();
    const answered = new Promise<bigint>((resolve) => {
      const check = (): void => {
        const decoder = new FrameDecoder({ maxFrameBytes: 1024 });
        decoder.feed(Buffer.concat(replies));
        const frame = decoder.nextFrame();
        if (frame === undefined) return;
        const r = decodeResponse(frame);
        if (r.kind === 'keepalive') resolve(r.time);
      };
      check();
      client.on('data', check);
    });
    assert.equal(await beforeDeadline(answered, 5000), 12345n);
    await settle();
    assert.deepEqual(place.bytes, Buffer.concat(sent));
  });

  it('does not hold after a read of the threshold or more', async (t) => {
    const place = new HeldPlace();
    const client = await connection(t, place);
    client.write(Buffer.alloc(512 * 1024, 7));
    await settle();
    // A session that answers nothing: only reads that were not held can follow the first one.
    assert.ok(place.handed.length > 1, `${place.handed.length} hand-off(s) without an answer`);
    assert.ok(place.handed.slice(0, -1).every((b) => b.byteLength >= COALESCE_BELOW));
  });

  it('loses and reorders nothing, whatever the frame sizes and however the writes are split', (t) => losesNothing(t));
});

/** Streams of frames of any size, cut into writes of any size, reach the session whole and in order. */
async function losesNothing(t: TestContext, holdClock?: ReadHoldClock): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 3000 }), { minLength: 1, maxLength: 60 }),
      fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 8 }),
      async (sizes, cuts) => {
        const place = new PromptPlace();
        const client = await connection(t, place, holdClock);
        const stream = Buffer.concat(sizes.map((n, i) => Buffer.concat([encodeUvarint(n), Buffer.alloc(n, i % 251)])));
        for (let pos = 0, k = 0; pos < stream.length; k++) {
          const n = cuts[k % cuts.length] as number;
          client.write(stream.subarray(pos, pos + n));
          pos += n;
        }
        const done = new Promise<void>((resolve) => {
          const timer = setInterval(() => {
            if (place.bytes.length >= stream.length) {
              clearInterval(timer);
              resolve();
            }
          }, 5);
        });
        assert.notEqual(await beforeDeadline(done, 10_000), 'deadline');
        assert.deepEqual(place.bytes, stream);
        client.destroy();
      },
    ),
    { numRuns: 25 },
  );
}

describe('Connection read coalescing on the hold clock', () => {
  const clock = (t: TestContext): HoldClock => {
    const c = new HoldClock(300);
    t.after(() => c.close());
    return c;
  };

  it('reads again once the hold is over, without waiting for the session; the in-flight bound still limits what is handed on', async (t) => {
    const place = new HeldPlace();
    const bound = 8 * 1024;
    const client = await connection(t, place, clock(t), bound);
    // A small first read, so that reads are held.
    const sent = [writeFrameInTwo(client, body(0))];
    assert.notEqual(await beforeDeadline(handedAtLeast(place, 1), 10_000), 'deadline');
    for (let i = 1; i < 1000; i++) sent.push(writeFrameInTwo(client, body(i)));
    const all = Buffer.concat(sent);
    // A session that answers nothing: only the hold clock ends the hold.
    assert.notEqual(await beforeDeadline(handedAtLeast(place, 2), 10_000), 'deadline');
    await settle();
    assert.ok(place.bytes.length < all.length, 'reading stopped short of the whole stream');
    const lastRead = place.handed.at(-1)?.byteLength ?? 0;
    assert.ok(
      place.bytes.length - lastRead <= bound,
      `${place.bytes.length} bytes handed on: more than the bound before the last read`,
    );
    assert.deepEqual(place.bytes, all.subarray(0, place.bytes.length), 'in order');
    const answering = setInterval(() => place.answer(), 5);
    t.after(() => clearInterval(answering));
    assert.notEqual(await beforeDeadline(arrived(place, all.length), 10_000), 'deadline');
    assert.deepEqual(place.bytes, all, 'every byte, in order, once the session takes them');
  });

  it('answers a keepalive written in two parts while reads are held, and hands it on in order', async (t) => {
    const place = new PromptPlace();
    const client = await connection(t, place, clock(t));
    const replies: Buffer[] = [];
    client.on('data', (chunk: Buffer) => replies.push(chunk));
    const sent: Buffer[] = [];
    for (let i = 0; i < 50; i++) sent.push(writeFrameInTwo(client, body(i)));
    const keepalive = Buffer.from(encodeFrame(encodeRequest({ kind: 'keepalive', time: 777n })));
    client.write(keepalive.subarray(0, 1));
    client.write(keepalive.subarray(1));
    sent.push(keepalive);
    const answered = new Promise<bigint>((resolve) => {
      const check = (): void => {
        const decoder = new FrameDecoder({ maxFrameBytes: 1024 });
        decoder.feed(Buffer.concat(replies));
        const frame = decoder.nextFrame();
        if (frame === undefined) return;
        const r = decodeResponse(frame);
        if (r.kind === 'keepalive') resolve(r.time);
      };
      client.on('data', check);
    });
    assert.equal(await beforeDeadline(answered, 5000), 777n);
    await settle();
    assert.deepEqual(place.bytes, Buffer.concat(sent));
  });

  it('loses and reorders nothing, whatever the frame sizes and however the writes are split', (t) =>
    losesNothing(t, clock(t)));

  it('tells the clock how many frames the first read after each hold brought, and only that read', async (t) => {
    const clock = new ManualClock();
    const place = new PromptPlace();
    const client = await connection(t, place, clock);
    // Whole frames in one write each, so that what a read brings is known.
    const frame = (i: number): Buffer => Buffer.concat([encodeUvarint(120), body(i)]);
    const handed = async (n: number): Promise<void> => {
      assert.notEqual(await beforeDeadline(handedAtLeast(place, n), 10_000), 'deadline');
      await settle();
      assert.equal(place.handed.length, n);
    };
    client.write(frame(0));
    await handed(1);
    assert.deepEqual(clock.harvests, [], 'a read not after a hold tells nothing');
    client.write(Buffer.concat([frame(1), frame(2), frame(3)]));
    await settle();
    clock.tick();
    await handed(2);
    assert.deepEqual(clock.harvests, [3]);
    clock.tick();
    await settle();
    client.write(frame(4));
    await handed(3);
    assert.deepEqual(clock.harvests, [3, 1]);
    assert.deepEqual(place.bytes, Buffer.concat([0, 1, 2, 3, 4].map(frame)), 'every byte, in order');
  });
});

/** A hold clock that ticks when the test says so, and keeps what it is told of harvests. */
class ManualClock implements ReadHoldClock {
  readonly adapts = true;
  readonly harvests: number[] = [];
  private waiting: Array<() => void> = [];

  after(release: () => void): void {
    this.waiting.push(release);
  }

  harvested(frames: number): void {
    this.harvests.push(frames);
  }

  tick(): void {
    const due = this.waiting;
    this.waiting = [];
    for (const release of due) release();
  }
}
