/**
 * Crash isolation with several sessions on every worker: a worker that dies in a call ends only
 * the session of that call (told with an ErrorResponse); its neighbours move to another worker
 * and go on, and a function that throws ends only its own session. The placement is read from the host's logs (connection -> worker, and
 * connection -> task), not guessed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KapacitorClient, ProbeError } from '../../src/probe/index.js';
import { HostProcess } from '../helpers/index.js';
import { assertServing, seqPoint } from './raw-peer.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

interface Task {
  id: string;
  client: KapacitorClient;
  worker: string;
}

async function openTask(host: HostProcess, udf: string, id: string): Promise<Task> {
  const client = await KapacitorClient.connectSocket(host.socket(udf), { timeoutMs: 0 });
  assert.equal((await client.init([], id, 'n')).success, true);
  const init = await host.waitForLog((l) => l.msg === 'session initialised' && l['taskID'] === id);
  const accepted = await host.waitForLog((l) => l.msg === 'connection accepted' && l['conn'] === init['conn']);
  return { id, client, worker: String(accepted['place']) };
}

/** Sends one point and closes; resolves to the number of points that came back, or the error code. */
async function finish(task: Task, seq: number): Promise<number | string> {
  try {
    task.client.send({ kind: 'point', point: seqPoint(seq) });
    await task.client.close();
    return task.client.data.length;
  } catch (err) {
    return err instanceof ProbeError ? `${err.code}: ${err.message}` : String(err);
  }
}

describe('crash isolation with several sessions per worker', () => {
  let host: HostProcess;

  before(async () => {
    host = await HostProcess.start([
      '--threads',
      '2',
      '--functions',
      'mirror,crash',
      '--log-level',
      'debug',
      '--stall-timeout',
      '3s',
    ]);
  });

  after(async () => {
    assert.ok(!host.logs.some((l) => l.level >= 60), 'no fatal log line');
    await host.stop();
  });

  it('a worker that exits in a call ends only that session; its neighbours move and carry on', async () => {
    const tasks: Task[] = [];
    for (let i = 0; i < 6; i++) tasks.push(await openTask(host, 'mirror', `exit-peer-${i}`));
    const crasher = await openTask(host, 'crash', 'exit-crasher');
    const neighbours = new Set([...tasks.filter((t) => t.worker === crasher.worker).map((t) => t.id)]);
    assert.ok(neighbours.size >= 2, `several sessions share the crashing worker (${neighbours.size})`);
    assert.ok(neighbours.size < tasks.length, 'some sessions run on the other worker');

    crasher.client.send({ kind: 'point', point: seqPoint(0, { mode: 'exit' }) });
    await assert.rejects(
      crasher.client.close(),
      (err: ProbeError) =>
        err.code === 'KUDF_PROBE_UDF_ERROR' && /crash: session lost: worker exited/.test(err.message),
    );
    const replaced = await host.waitForLog((l) => l.msg === 'worker replaced' && l['replaces'] === crasher.worker);
    // A replacement takes sessions once it has loaded its functions.
    await host.waitForLog((l) => l.msg === 'worker ready' && l['worker'] === replaced['worker']);
    const moved = await Promise.all(
      [...neighbours].map((id) =>
        host.waitForLog(
          (l) => l['code'] === 'KUDF_HOST_SESSION_MOVED' && l['taskID'] === id && l['from'] === crasher.worker,
        ),
      ),
    );
    assert.equal(moved.length, neighbours.size);

    assert.deepEqual(
      await Promise.all(tasks.map((t, i) => finish(t, i))),
      tasks.map(() => 1),
      'every neighbour, moved or not, still mirrors',
    );
    const lost = host.logs.find(
      (l) => l.msg === 'worker lost; its other sessions move' && l['worker'] === crasher.worker,
    );
    assert.equal(lost?.['sessions'], neighbours.size + 1, 'the host counted the crasher and its neighbours');
  });

  it('the replacement worker takes new sessions and serves them', async () => {
    const fresh = await Promise.all([0, 1, 2, 3].map((i) => openTask(host, 'mirror', `after-crash-${i}`)));
    const workers = new Set(fresh.map((t) => t.worker));
    assert.equal(workers.size, 2, `new sessions spread over both workers (${[...workers].join(', ')})`);
    const outcomes = await Promise.all(fresh.map((t, i) => finish(t, i)));
    assert.deepEqual(outcomes, [1, 1, 1, 1]);
  });

  it('a function that throws ends only its own session, not its neighbours on the same worker', async () => {
    const tasks: Task[] = [];
    for (let i = 0; i < 4; i++) tasks.push(await openTask(host, 'mirror', `throw-peer-${i}`));
    const thrower = await openTask(host, 'crash', 'thrower');
    assert.ok(
      tasks.some((t) => t.worker === thrower.worker),
      'a neighbour shares the thrower’s worker',
    );
    thrower.client.send({ kind: 'point', point: seqPoint(0, { mode: 'throw' }) });
    await assert.rejects(
      thrower.client.close(),
      (err: ProbeError) => err.code === 'KUDF_PROBE_UDF_ERROR' && /crash: asked to throw/.test(err.message),
    );
    assert.deepEqual(await Promise.all(tasks.map((t, i) => finish(t, i))), [1, 1, 1, 1]);
    assert.ok(
      !host.logs.some((l) => l.msg === 'worker lost; its other sessions move' && /thrower/.test(JSON.stringify(l))),
    );
    await assertServing((udf) => host.socket(udf));
  });

  it('two workers dying one after the other still leave the host serving', async () => {
    for (const round of [0, 1]) {
      const a = await openTask(host, 'crash', `serial-exit-${round}-a`);
      a.client.send({ kind: 'point', point: seqPoint(0, { mode: 'exit' }) });
      await assert.rejects(a.client.close(), (err: ProbeError) => err.code === 'KUDF_PROBE_UDF_ERROR');
      await host.waitForLog((l) => l.msg === 'worker replaced' && l['replaces'] === a.worker);
    }
    await assertServing((udf) => host.socket(udf));
    assert.equal(host.child.exitCode, null);
  });
});
