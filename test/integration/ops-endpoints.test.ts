/**
 * `kudf serve --http`: /metrics (Prometheus text from prom-client), /healthz, /readyz and
 * /status on a real host, with sessions run through real Unix sockets.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { probeRun } from '../../src/probe/index.js';
import { encodeFrame, encodeRequest } from '../../src/protocol/index.js';
import { waitFor, HostProcess, o } from '../helpers/index.js';

/** A distinctive option value: it must never show in /metrics or /status. */
const OPTION_VALUE = 'OPTVALUE_do_not_publish';

/** The value of one sample, e.g. `kudf_host_points_in_total{function="movingAverage"}`; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const x of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) have[x[1]!] = x[2]!;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

async function get(url: string, init?: RequestInit): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(url, init);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

function points(
  n: number,
): Array<{ measurement: string; tags: Record<string, string>; fields: Record<string, number>; time: bigint }> {
  return Array.from({ length: n }, (_, i) => ({
    measurement: 'm',
    tags: { host: `h${i % 3}` },
    fields: { v: i },
    time: BigInt(i + 1) * 1_000_000_000n,
  }));
}

async function rawConnect(path: string): Promise<Socket> {
  const socket = connect({ path, allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('data', () => undefined);
  // Like Kapacitor, close our side once the host has closed its own.
  socket.on('end', () => socket.end());
  return socket;
}

describe('kudf serve --http', () => {
  let host: HostProcess;
  let base: string;

  before(async () => {
    host = await HostProcess.start(['--threads', '1', '--http', '127.0.0.1:0']);
    const line = await host.waitForLog((l) => l.msg === 'operations endpoints listening');
    base = String(line['url']);
  });

  after(async () => {
    await host?.stop();
  });

  it('listens on the loopback address it was given and answers /healthz and /readyz', async () => {
    assert.match(base, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(await get(`${base}/healthz`), { status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' });
    const ready = await get(`${base}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal((await get(`${base}/nothing`)).status, 404);
    assert.equal((await get(`${base}/metrics`, { method: 'POST' })).status, 405);
  });

  it("counts a task's points, session and snapshot per function, and never shows its option values", async () => {
    const result = await probeRun({
      target: { socket: host.socket('movingAverage') },
      options: [o.str('field', 'v'), o.int('size', 3), o.str('as', OPTION_VALUE)],
      taskID: 'metrics_task',
      nodeID: 'movingAverage2',
      points: points(120),
      grouping: { dimensions: ['host'], byName: false },
      database: 'db',
      retentionPolicy: 'rp',
      batch: false,
      snapshot: true,
      timeoutMs: 2000,
      chunk: 10,
    });
    assert.equal(result.output.length, 120);
    // Counts travel with the worker's next heartbeat answer (about once a second) or at session end.
    let text = '';
    await waitFor(
      'the session counted',
      async () => {
        text = (await get(`${base}/metrics`)).body;
        return (
          sample(text, 'kudf_host_points_in_total', { function: 'movingAverage' }) === 120 &&
          sample(text, 'kudf_host_connections_ended_total', { function: 'movingAverage', reason: 'eof' }) === 1 &&
          sample(text, 'kudf_host_snapshot_bytes_count', { function: 'movingAverage' }) === 1
        );
      },
      10_000,
      200,
    );
    assert.equal(sample(text, 'kudf_host_points_out_total', { function: 'movingAverage' }), 120);
    assert.equal(sample(text, 'kudf_host_sessions_started_total', { function: 'movingAverage' }), 1);
    assert.equal(sample(text, 'kudf_host_connections_ended_total', { function: 'movingAverage', reason: 'eof' }), 1);
    assert.equal(sample(text, 'kudf_host_snapshot_bytes_count', { function: 'movingAverage' }), 1);
    assert.ok((sample(text, 'kudf_host_snapshot_bytes_sum', { function: 'movingAverage' }) ?? 0) > 0);
    assert.equal(sample(text, 'kudf_host_snapshot_seconds_count', { function: 'movingAverage' }), 1);
    // Series for every served function exist from the start.
    assert.equal(sample(text, 'kudf_host_points_in_total', { function: 'mirror' }), 0);
    // The main thread's event loop, from prom-client's default metrics.
    assert.ok(sample(text, 'kudf_nodejs_eventloop_lag_p99_seconds') !== undefined);
    assert.ok(!text.includes(OPTION_VALUE), 'an option value is in /metrics');
    assert.ok(!text.includes('metrics_task'), 'the task is not a label');
    const status = await get(`${base}/status`);
    assert.ok(!status.body.includes(OPTION_VALUE), 'an option value is in /status');
  });

  it('counts an Init failure and an ErrorResponse by kind', async () => {
    const rejected = await probeRun({
      target: { socket: host.socket('movingAverage') },
      options: [o.int('field', 3), o.int('size', 3)],
      taskID: 'bad_init',
      nodeID: 'n',
      points: points(1),
      grouping: { dimensions: [], byName: false },
      database: 'db',
      retentionPolicy: 'rp',
      batch: false,
      snapshot: false,
      timeoutMs: 2000,
      chunk: 10,
    }).then(
      (r) => r.init,
      (err: unknown) => err,
    );
    assert.ok(
      !('success' in (rejected as object)) || (rejected as { success: boolean }).success === false,
      'the bad Init was accepted',
    );
    // A point before Init: a protocol error, answered with an ErrorResponse.
    const socket = await rawConnect(host.socket('mirror'));
    socket.write(
      encodeFrame(
        encodeRequest({
          kind: 'point',
          point: {
            time: 1n,
            name: 'm',
            database: '',
            retentionPolicy: '',
            group: '',
            dimensions: [],
            tags: {},
            fields: { v: 1 },
            byName: false,
          },
        }),
      ),
    );
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    await waitFor(
      'both counted',
      async () => {
        const text = (await get(`${base}/metrics`)).body;
        return (
          sample(text, 'kudf_host_init_failures_total', { function: 'movingAverage' }) === 1 &&
          sample(text, 'kudf_host_error_responses_total', { function: 'mirror', kind: 'protocol' }) === 1
        );
      },
      10_000,
      200,
    );
  });

  it('lists a live session in /status with its task, node, function, worker, counts and last keepalive', async () => {
    const socket = await rawConnect(host.socket('mirror'));
    socket.write(encodeFrame(encodeRequest({ kind: 'init', taskID: 'status_task', nodeID: 'mirror3', options: [] })));
    for (let i = 0; i < 5; i++)
      socket.write(
        encodeFrame(
          encodeRequest({
            kind: 'point',
            point: {
              time: BigInt(i + 1),
              name: 'm',
              database: 'db',
              retentionPolicy: 'rp',
              group: '',
              dimensions: [],
              tags: {},
              fields: { v: i },
              byName: false,
            },
          }),
        ),
      );
    socket.write(encodeFrame(encodeRequest({ kind: 'keepalive', time: 42n })));
    type Status = {
      ready: boolean;
      functions: Array<{ name: string; socket: string }>;
      sessions: Array<Record<string, unknown>>;
      workers: Array<Record<string, unknown>>;
    };
    let status: Status | undefined;
    await waitFor(
      'the session with its counts',
      async () => {
        status = JSON.parse((await get(`${base}/status`)).body) as Status;
        return status.sessions.some((s) => s['taskID'] === 'status_task' && s['pointsIn'] === 5);
      },
      10_000,
      200,
    );
    const s = status!.sessions.find((x) => x['taskID'] === 'status_task')!;
    assert.equal(s['nodeID'], 'mirror3');
    assert.equal(s['function'], 'mirror');
    assert.equal(s['worker'], 'worker-1');
    assert.equal(s['pointsOut'], 5);
    assert.equal(typeof s['lastKeepaliveAt'], 'string');
    assert.equal(status!.ready, true);
    assert.ok(status!.functions.some((f) => f.name === 'mirror' && f.socket === host.socket('mirror')));
    assert.equal(status!.workers.length, 1);
    assert.equal(status!.workers[0]!['label'], 'worker-1');
    const text = (await get(`${base}/metrics`)).body;
    assert.equal(sample(text, 'kudf_host_sessions_active', { function: 'mirror' }), 1);
    assert.ok((sample(text, 'kudf_host_keepalive_response_seconds_count', { function: 'mirror' }) ?? 0) >= 1);
    assert.ok(sample(text, 'kudf_host_worker_event_loop_lag_p99_seconds', { worker: '0' }) !== undefined);
    socket.end();
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
  });
});

describe('kudf serve --http, first scrape', () => {
  it('has every labelled counter whose labels are known in advance, at 0', async () => {
    const host = await HostProcess.start(['--threads', '1', '--http', '127.0.0.1:0']);
    try {
      const line = await host.waitForLog((l) => l.msg === 'operations endpoints listening');
      const text = (await get(`${String(line['url'])}/metrics`)).body;
      const zero = (name: string, labels: Record<string, string> = {}): void =>
        assert.equal(sample(text, name, labels), 0, `${name} ${JSON.stringify(labels)}`);
      for (const f of ['mirror', 'movingAverage']) {
        for (const reason of ['eof', 'error', 'lost', 'peer', 'shutdown'])
          zero('kudf_host_connections_ended_total', { function: f, reason });
        for (const kind of ['frame', 'request', 'protocol', 'function', 'lost'])
          zero('kudf_host_error_responses_total', { function: f, kind });
        zero('kudf_host_init_failures_total', { function: f });
        zero('kudf_host_sessions_started_total', { function: f });
      }
      for (const reason of ['crash', 'exit', 'stall']) zero('kudf_host_worker_restarts_total', { reason });
      for (const outcome of ['ok', 'unchanged', 'partial', 'failed']) zero('kudf_host_reloads_total', { outcome });
      for (const result of ['moved', 'kept', 'deferred']) zero('kudf_host_reload_sessions_total', { result });
      zero('kudf_host_tasks_recovered_total');
      zero('kudf_host_task_recovery_failures_total');
    } finally {
      await host.stop();
    }
  });
});

describe('kudf serve without --http', () => {
  it('serves no operations endpoint', async () => {
    const host = await HostProcess.start(['--threads', '1']);
    try {
      assert.equal(
        host.logs.some((l) => l.msg === 'operations endpoints listening'),
        false,
      );
    } finally {
      await host.stop();
    }
  });
});
