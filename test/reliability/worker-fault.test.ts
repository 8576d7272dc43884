/**
 * A fault of function code that takes its worker down: a call that never returns, a timer of
 * the function that never returns, a call that runs the worker out of heap, a call that ends the
 * thread. The session whose code it was ends with an ErrorResponse naming the function and the
 * cause, its worker is replaced, and the other sessions of that worker move to another one
 * without their peers seeing more than a pause: every point comes back once, in order, with the
 * state it had (tally numbers its points), and keepalives are answered throughout. One thread
 * puts every session on the same worker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KapacitorClient, ProbeError } from '../../src/probe/index.js';
import { HostProcess } from '../helpers/index.js';
import { seqPoint } from './raw-peer.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

/** Kapacitor's default function timeout: a keepalive not answered within it ends the task. */
const KAPACITOR_TIMEOUT_MS = 10_000;
/** Pause before the last points ahead of a fault: longer than the checkpoint spacing after a slow one. */
const CHECKPOINT_SETTLE_MS = 2000;
const SETTLE_POINTS = 10;

interface Sibling {
  udf: string;
  /** Points sent before the block, and in all. */
  first: number;
  total: number;
  client: KapacitorClient;
  /** Milliseconds each keepalive took to be answered. */
  keepaliveMs: number[];
  unanswered: number[];
}

async function open(host: HostProcess, udf: string, task: string): Promise<KapacitorClient> {
  const client = await KapacitorClient.connectSocket(host.socket(udf), { timeoutMs: 0 });
  assert.equal((await client.init([], task, 'n')).success, true);
  return client;
}

async function received(client: KapacitorClient, count: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (client.data.length < count) {
    if (Date.now() > deadline) throw new Error(`only ${client.data.length} of ${count} points came back`);
    await sleep(10);
  }
}

/** Sends a keepalive every 100 ms and times each answer (to 10 ms), until `stop` is set. */
async function keepalives(s: Sibling, stop: { done: boolean }): Promise<void> {
  while (!stop.done) {
    const answeredBefore = s.client.keepalivesAnswered;
    const t0 = Date.now();
    s.client.send({ kind: 'keepalive', time: BigInt(t0) * 1_000_000n });
    while (s.client.keepalivesAnswered === answeredBefore && Date.now() - t0 < KAPACITOR_TIMEOUT_MS) await sleep(10);
    if (s.client.keepalivesAnswered === answeredBefore) s.unanswered.push(t0);
    else s.keepaliveMs.push(Date.now() - t0);
    await sleep(100);
  }
}

/** The replacement of the last lost worker has come up: sessions opened now run on it, not on the main thread, whence nothing moves. */
async function replacementUp(host: HostProcess): Promise<void> {
  const replaced = host.logs.filter((l) => l.msg === 'worker replaced').at(-1);
  if (replaced !== undefined)
    await host.waitForLog((l) => l.msg === 'worker ready' && l['worker'] === replaced['worker']);
}

const isLoss = (l: { msg?: unknown }): boolean => l.msg === 'worker lost; its other sessions move';

interface Fault {
  /** The crash fixture's mode that causes it. */
  mode: string;
  what: string;
  /** The culprit's ErrorResponse. */
  error: RegExp;
}

const FAULTS: Fault[] = [
  { mode: 'hang', what: 'a call that never returns', error: /crash: .*blocked.*--block-timeout/ },
  {
    mode: 'timer-hang',
    what: 'a timer of the function that never returns',
    error: /crash: .*blocked.*--block-timeout/,
  },
  {
    mode: 'hog',
    what: 'a call that runs the worker out of heap',
    error: /crash: session lost: worker crashed: .*(memory|heap)/i,
  },
  {
    mode: 'exit',
    what: 'a call that ends the worker thread',
    error: /crash: session lost: worker exited \(exit code 3\)/,
  },
];

describe('a fault that takes a worker down', () => {
  let host: HostProcess;

  before(async () => {
    host = await HostProcess.start([
      '--threads',
      '1',
      '--functions',
      'mirror,crash,tally',
      '--block-timeout',
      '3s',
      '--worker-heap-mb',
      '64',
      // Small, so that the tally sessions move from a checkpoint taken on the way, not from Init.
      '--replay-bytes',
      '12KiB',
      // For 'worker ready'.
      '--log-level',
      'debug',
    ]);
  });

  after(async () => {
    assert.ok(!host.logs.some((l) => l.level >= 60), 'no fatal log line');
    await host.stop();
  });

  for (const fault of FAULTS)
    it(`${fault.what} ends its own session; the other sessions of its worker go on elsewhere with every point once`, async () => {
      await replacementUp(host);
      const before = host.logs.length;
      // The tallies read far more than --replay-bytes before the block: they can only move from a
      // checkpoint of their state. Mirror has no snapshot(): it moves from its Init, its input fits.
      // What is read while the worker is blocked must fit in the ring too: 60 points, about 4 KiB.
      const plan: Array<[string, number, number]> = [
        ['tally', 200, 260],
        ['tally', 200, 260],
        ['mirror', 20, 40],
      ];
      const siblings: Sibling[] = [];
      for (const [i, [udf, first, total]] of plan.entries()) {
        const client = await open(host, udf, `${fault.mode}-sibling-${i}`);
        siblings.push({ udf, first, total, client, keepaliveMs: [], unanswered: [] });
      }
      const blocker = await open(host, 'crash', `${fault.mode}-culprit`);
      for (const s of siblings)
        for (let seq = 0; seq < s.first; seq++) s.client.send({ kind: 'point', point: seqPoint(seq) });
      for (const s of siblings) await received(s.client, s.first);
      // A checkpoint that took 5 ms or more delays the next by 50 times as long, and a burst of
      // input can outrun that on a slow machine, leaving more than --replay-bytes since the last
      // one. After a pause, a few more points let a checkpoint be taken near the end of the input.
      await sleep(CHECKPOINT_SETTLE_MS);
      for (const s of siblings) {
        for (let seq = s.first; seq < s.first + SETTLE_POINTS; seq++)
          s.client.send({ kind: 'point', point: seqPoint(seq) });
        s.first += SETTLE_POINTS;
      }
      for (const s of siblings) await received(s.client, s.first);

      const stop = { done: false };
      const pinging = siblings.map((s) => keepalives(s, stop));
      const blockedAt = Date.now();
      let detectedMs = 0;
      try {
        blocker.send({ kind: 'point', point: seqPoint(0, { mode: fault.mode }) });
        // Queued behind the blocked call on the same worker: they must come back from the next one.
        for (const s of siblings)
          for (let seq = s.first; seq < s.total; seq++) s.client.send({ kind: 'point', point: seqPoint(seq) });
        // Closed only once its worker is lost: a fault in a timer of its own comes after the call,
        // by when an end of input would have closed the session.
        const deadline = Date.now() + 20_000;
        while (!host.logs.slice(before).some(isLoss) && Date.now() < deadline) await sleep(10);
        await assert.rejects(
          blocker.close(),
          (err: ProbeError) => err.code === 'KUDF_PROBE_UDF_ERROR' && fault.error.test(err.message),
        );
        detectedMs = Date.now() - blockedAt;
        for (const s of siblings) await received(s.client, s.total);
      } finally {
        stop.done = true;
        await Promise.all(pinging);
      }
      for (const s of siblings) await s.client.close();

      for (const [i, s] of siblings.entries()) {
        const seqs = s.client.data.map((d) => (d.kind === 'point' ? d.point.fields['seq'] : undefined));
        assert.deepEqual(
          seqs,
          Array.from({ length: s.total }, (_, k) => BigInt(k)),
          `sibling ${i} (${s.udf}): every point once, in order`,
        );
        if (s.udf === 'tally') {
          const ns = s.client.data.map((d) => (d.kind === 'point' ? d.point.fields['n'] : undefined));
          assert.deepEqual(
            ns,
            Array.from({ length: s.total }, (_, k) => BigInt(k + 1)),
            `sibling ${i}: the count goes on from the state it had`,
          );
        }
        assert.deepEqual(s.unanswered, [], `sibling ${i}: every keepalive answered`);
        assert.ok(s.keepaliveMs.length > 0, `sibling ${i}: keepalives were sent during the block`);
      }

      const logs = host.logs.slice(before);
      const lost = logs.find(isLoss);
      const culprit = logs.find((l) => l.msg === 'session initialised' && l['taskID'] === `${fault.mode}-culprit`);
      assert.equal(lost?.['culprit'], culprit?.['conn'], 'the host names the culprit’s connection');
      const blocked = logs.find((l) => l['code'] === 'KUDF_HOST_BLOCKED');
      if (fault.error.source.includes('blocked'))
        assert.ok(blocked !== undefined, 'the host logs the block with its code');
      const moved = logs.filter((l) => l['code'] === 'KUDF_HOST_SESSION_MOVED');
      assert.equal(moved.length, siblings.length, 'each sibling moved');
      assert.ok(
        moved.filter((l) => String(l['udf']) === 'tally').every((l) => Number(l['replayedBytes']) < 12 * 1024),
        'the tallies replayed only what followed a checkpoint',
      );
      const keepaliveMax = Math.max(...siblings.flatMap((s) => s.keepaliveMs));
      const moveMs = moved.map((l) => Number(l['ms']));
      console.log(
        `# ${fault.mode}: ${blocked !== undefined ? `block seen after ${Number(blocked['stuckMs'])} ms of no progress, ` : ''}error at the culprit after ${detectedMs} ms; siblings moved in ${Math.min(...moveMs)}-${Math.max(...moveMs)} ms; sibling keepalive max ${keepaliveMax} ms`,
      );

      // The replacement serves new tasks.
      const fresh = await open(host, 'mirror', `after-${fault.mode}`);
      fresh.send({ kind: 'point', point: seqPoint(0) });
      await fresh.close();
      assert.equal(fresh.data.length, 1, 'a new task is served after the block');
    });

  it('ends a neighbour whose input since its last checkpoint is over --replay-bytes, saying so', async () => {
    await replacementUp(host);
    // Mirror has no snapshot(): its only checkpoint is its Init, 200 points (about 14 KiB) ago.
    const neighbour = await open(host, 'mirror', 'overflowing');
    for (let seq = 0; seq < 200; seq++) neighbour.send({ kind: 'point', point: seqPoint(seq) });
    await received(neighbour, 200);
    const blocker = await open(host, 'crash', 'blocker-2');
    blocker.send({ kind: 'point', point: seqPoint(0, { mode: 'hang' }) });
    await assert.rejects(blocker.close(), (err: ProbeError) => /crash: .*blocked.*--block-timeout/.test(err.message));
    await assert.rejects(
      neighbour.close(),
      (err: ProbeError) =>
        err.code === 'KUDF_PROBE_UDF_ERROR' &&
        /^.*mirror: session lost: blocked.*could not move.*--replay-bytes/.test(err.message),
    );
    assert.equal(neighbour.data.length, 200, 'what was answered before stays answered');
  });

  it('a worker that dies outside any call moves every session, and ends those it has been lost under twice', async () => {
    const before = host.logs.length;
    const losses = (): Array<Record<string, unknown>> => host.logs.slice(before).filter(isLoss);
    await replacementUp(host);
    const sibling = await open(host, 'tally', 'unseen-sibling');
    for (let seq = 0; seq < 5; seq++) sibling.send({ kind: 'point', point: seqPoint(seq) });
    await received(sibling, 5);
    const culprit = await open(host, 'crash', 'unseen-culprit');
    // Its replay on the replacement sets the flag again there: a second death, with no call to blame either.
    culprit.send({ kind: 'point', point: seqPoint(0, { mode: 'exit-unseen' }) });
    const deadline = Date.now() + 20_000;
    while (losses().length < 2 && Date.now() < deadline) await sleep(10);
    assert.equal(losses().length, 2, 'two workers lost');
    assert.ok(
      losses().every((l) => l['culprit'] === undefined),
      'no culprit named',
    );
    const moved = host.logs.slice(before).filter((l) => l['code'] === 'KUDF_HOST_SESSION_MOVED');
    assert.deepEqual(
      moved.map((l) => l['taskID']).sort(),
      ['unseen-culprit', 'unseen-sibling'],
      'after the first loss every session moved',
    );
    for (const [client, udf] of [
      [culprit, 'crash'],
      [sibling, 'tally'],
    ] as const)
      await assert.rejects(
        client.close(),
        (err: ProbeError) =>
          err.code === 'KUDF_PROBE_UDF_ERROR' &&
          new RegExp(
            `^.*${udf}: session lost: worker exited \\(exit code 5\\), outside any call; this one could not move: its worker was lost 2 times while it ran, with no call to blame`,
          ).test(err.message),
      );
    assert.equal(sibling.data.length, 5, 'what was answered before stays answered');
    const fresh = await open(host, 'mirror', 'after-unseen');
    fresh.send({ kind: 'point', point: seqPoint(0) });
    await fresh.close();
    assert.equal(fresh.data.length, 1, 'a new task is served after');
  });
});
