import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { lstat, mkdtemp, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KapacitorClient, ProbeError, probeInfo, probeRun, type ProbeRunOptions } from '../../src/probe/index.js';
import {
  encodeFrame,
  encodeRequest,
  FrameDecoder,
  decodeResponse,
  encodeUvarint,
  type Point,
  type Response,
} from '../../src/protocol/index.js';
import { beforeDeadline, HostProcess, KUDF } from '../helpers/index.js';

function point(i: number, host: string, extra: Partial<Point> = {}): Point {
  return {
    time: 1514979051065000001n + BigInt(i),
    name: 'cpu',
    database: 'telegraf',
    retentionPolicy: 'autogen',
    group: `host=${host}`,
    dimensions: ['host'],
    tags: { host, region: 'eu' },
    fields: { usage: i + 0.5, count: BigInt(i), state: `s${i}`, ok: i % 2 === 0 },
    byName: false,
    ...extra,
  };
}

/** A task through the probe: one stream point grouped by host unless `run` says otherwise. */
function probeTask(socket: string, run: Partial<ProbeRunOptions>): ReturnType<typeof probeRun> {
  return probeRun({
    target: { socket },
    options: [],
    taskID: 't',
    nodeID: 'n',
    points: [{ measurement: 'm', tags: { host: 'x' }, fields: { v: 1 }, time: 5n }],
    grouping: { dimensions: ['host'], byName: false },
    database: 'db',
    retentionPolicy: 'rp',
    batch: false,
    snapshot: false,
    timeoutMs: 2000,
    chunk: 10,
    ...run,
  });
}

/** A response with its null-prototype tag and field records made plain, for deep comparison. */
function plain<T>(value: T): T {
  if (Array.isArray(value)) return value.map(plain) as T;
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)])) as T;
  }
  return value;
}

/** Reads raw responses from a socket, for cases the probe client refuses on purpose. */
function rawResponses(socket: import('node:net').Socket): { responses: Response[]; closed: Promise<void> } {
  const decoder = new FrameDecoder();
  const responses: Response[] = [];
  socket.on('data', (chunk: Buffer) => {
    decoder.feed(chunk);
    for (let body = decoder.nextFrame(); body !== undefined; body = decoder.nextFrame())
      responses.push(decodeResponse(body));
  });
  // Like Kapacitor, close our side once the UDF has closed its own.
  socket.on('end', () => socket.end());
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { responses, closed };
}

async function rawConnect(path: string): Promise<import('node:net').Socket> {
  const socket = connect({ path, allowHalfOpen: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

describe('kudf serve over Unix sockets with worker threads', () => {
  let host: HostProcess;

  before(async () => {
    // --block-timeout 0: the stuck-worker test below is about the heartbeat, which also catches a
    // block no session's call is in (a function's own timer); calls that block have their own test.
    host = await HostProcess.start([
      '--threads',
      '2',
      '--stall-timeout',
      '4s',
      '--block-timeout',
      '0',
      '--log-level',
      'debug',
    ]);
  });

  after(async () => {
    await host.stop();
  });

  it('logs every socket at start-up, one per function', async () => {
    const serving = host.logs.filter((l) => l.msg === 'serving function').map((l) => l['socket']);
    const files = (await readdir(host.socketDir))
      .filter((f) => f.endsWith('.sock'))
      .map((f) => join(host.socketDir, f));
    assert.deepEqual([...serving].sort(), files.sort());
    for (const udf of ['mirror', 'burn', 'crash']) assert.ok(serving.includes(host.socket(udf)), `${udf} is served`);
  });

  it('creates socket files that another user can connect to by default (mode 666)', async () => {
    const info = await stat(host.socket('mirror'));
    assert.equal(info.mode & 0o777, 0o666);
    assert.ok((await lstat(host.socket('mirror'))).isSocket());
  });

  it('answers Info on a separate connection that closes at once, as Kapacitor does at start-up', async () => {
    const info = await probeInfo({ socket: host.socket('mirror') }, 2000);
    assert.equal(info.wants, 'stream');
    assert.equal(info.provides, 'stream');
    assert.deepEqual(Object.keys(info.options), []);
    assert.ok(!host.logs.some((l) => l.level >= 50), 'no error was logged for an info-only connection');
  });

  it('returns every point of a stream unchanged with its group and dimensions (Kapacitor socket mirror case)', async () => {
    const client = await KapacitorClient.connectSocket(host.socket('mirror'), { timeoutMs: 5000 });
    const init = await client.init([], 'mirror-task', 'udf2');
    assert.equal(init.success, true);
    const sent = Array.from({ length: 300 }, (_, i) => point(i, i % 3 === 0 ? 'a' : 'b'));
    client.sendMany(sent.map((p) => ({ kind: 'point' as const, point: p })));
    await client.close();
    assert.deepEqual(plain(client.data.map((r) => (r.kind === 'point' ? r.point : r.kind))), sent);
  });

  it('returns a batch as the same BeginBatch, points and EndBatch', async () => {
    const client = await KapacitorClient.connectSocket(host.socket('mirror'), { timeoutMs: 5000 });
    await client.init([]);
    const tags = { host: 'a' };
    const begin = { name: 'cpu', group: 'host=a', tags, size: 2n, byName: false };
    const points = [0, 1].map((i) => ({
      ...point(i, 'a'),
      name: '',
      database: '',
      retentionPolicy: '',
      dimensions: [],
    }));
    const end = { name: 'cpu', group: 'host=a', tmax: points[1]!.time, tags, byName: false };
    client.sendMany([
      { kind: 'begin', begin },
      ...points.map((p) => ({ kind: 'point' as const, point: p })),
      { kind: 'end', end },
    ]);
    await client.close();
    assert.deepEqual(plain(client.data), [
      { kind: 'begin', begin },
      ...points.map((p) => ({ kind: 'point', point: p })),
      { kind: 'end', end },
    ]);
  });

  it('echoes the keepalive time and keeps int64 times exact', async () => {
    const socket = await rawConnect(host.socket('mirror'));
    const { responses, closed } = rawResponses(socket);
    socket.end(encodeFrame(encodeRequest({ kind: 'keepalive', time: 1514979051065000001n })));
    await closed;
    assert.deepEqual(responses, [{ kind: 'keepalive', time: 1514979051065000001n }]);
  });

  it('rejects an unknown option in Init with an InitResponse naming it', async () => {
    const client = await KapacitorClient.connectSocket(host.socket('mirror'), { timeoutMs: 5000 });
    const init = await client.init([{ name: 'bogus', values: [{ type: 'int', value: 3n }] }]);
    await client.close();
    assert.equal(init.success, false);
    assert.match(init.error, /bogus/);
  });

  it('answers a point before Init with an ErrorResponse and closes only that connection', async () => {
    const socket = await rawConnect(host.socket('mirror'));
    const { responses, closed } = rawResponses(socket);
    socket.write(encodeFrame(encodeRequest({ kind: 'point', point: point(1, 'a') })));
    await closed;
    assert.equal(responses.length, 1);
    assert.equal(responses[0]?.kind, 'error');
    assert.match((responses[0] as { error: string }).error, /mirror: point before Init/);
    assert.equal((await probeInfo({ socket: host.socket('mirror') }, 2000)).wants, 'stream');
  });

  it('rejects a frame longer than the limit from its header alone', async () => {
    const socket = await rawConnect(host.socket('mirror'));
    const { responses, closed } = rawResponses(socket);
    socket.write(encodeUvarint(2 ** 31));
    await closed;
    assert.equal(responses[0]?.kind, 'error');
    assert.match((responses[0] as { error: string }).error, /invalid frame/);
    assert.equal((await probeInfo({ socket: host.socket('mirror') }, 2000)).wants, 'stream');
  });

  it('logs a connection that ends in the middle of a frame', async () => {
    const socket = await rawConnect(host.socket('mirror'));
    const { closed } = rawResponses(socket);
    const frame = encodeFrame(encodeRequest({ kind: 'info' }));
    socket.end(Buffer.concat([frame, Buffer.from([50, 1, 2, 3])]));
    await closed;
    const line = await host.waitForLog((l) => /middle of a frame/.test(l.msg));
    assert.equal(line['bufferedBytes'], 4);
  });

  it('writes every pending reply before closing when Kapacitor closes its write side', async () => {
    const client = await KapacitorClient.connectSocket(host.socket('mirror'), { timeoutMs: 10_000 });
    await client.init([]);
    const sent = Array.from({ length: 20_000 }, (_, i) => point(i, 'a'));
    for (let i = 0; i < sent.length; i += 2000) {
      if (!client.sendMany(sent.slice(i, i + 2000).map((p) => ({ kind: 'point' as const, point: p }))))
        await client.drained();
    }
    await client.close();
    assert.equal(client.data.length, sent.length);
    assert.equal((client.data.at(-1) as { point: Point }).point.time, sent.at(-1)?.time);
  });

  it('turns a throwing function into an ErrorResponse naming the function, logged with task and node IDs', async () => {
    const client = await KapacitorClient.connectSocket(host.socket('crash'), { timeoutMs: 5000 });
    await client.init([], 'task-throw', 'node-7');
    client.send({ kind: 'point', point: point(1, 'a', { fields: { mode: 'throw' } }) });
    await assert.rejects(
      client.close(),
      (err: ProbeError) => err.code === 'KUDF_PROBE_UDF_ERROR' && /crash: asked to throw/.test(err.message),
    );
    const line = await host.waitForLog((l) => l.level >= 50 && /asked to throw/.test(l.msg));
    assert.equal(line['taskID'], 'task-throw');
    assert.equal(line['nodeID'], 'node-7');
  });

  it('probe run reports an ErrorResponse that comes while it waits to send more, instead of exiting silently', async () => {
    // Large writes, so that the probe is waiting for 'drain' when the first point's error arrives:
    // Kapacitor's side then ends its output, which never drains.
    const points = [
      { measurement: 'm', tags: {}, fields: { mode: 'throw' }, time: 1n },
      ...Array.from({ length: 60_000 }, (_, i) => ({
        measurement: 'm',
        tags: {},
        fields: { mode: 'ok', v: i },
        time: BigInt(i + 2),
      })),
    ];
    const run = probeTask(host.socket('crash'), {
      points,
      grouping: { dimensions: [], byName: false },
      timeoutMs: 10_000,
      chunk: 20_000,
    });
    const outcome = await beforeDeadline(
      run.then(
        () => 'resolved',
        (err: unknown) => err,
      ),
      15_000,
    );
    assert.ok(outcome instanceof ProbeError, `probe run ended with ${String(outcome)}`);
    assert.equal(outcome.code, 'KUDF_PROBE_UDF_ERROR');
    assert.match(outcome.message, /crash: asked to throw/);
  });

  it('answers keepalives on another worker while a function burns CPU', async () => {
    const burner = await KapacitorClient.connectSocket(host.socket('burn'), { timeoutMs: 0 });
    await burner.init([]);
    // The two connections are on different workers: the pool assigns the least loaded one.
    const other = await rawConnect(host.socket('mirror'));
    const events: string[] = [];
    const decoder = new FrameDecoder();
    const keepaliveAnswered = new Promise<void>((resolve) => {
      other.on('data', (chunk: Buffer) => {
        decoder.feed(chunk);
        for (let b = decoder.nextFrame(); b !== undefined; b = decoder.nextFrame()) {
          if (decodeResponse(b).kind === 'keepalive') {
            events.push('keepalive');
            resolve();
          }
        }
      });
    });
    burner.send({ kind: 'point', point: point(1, 'a', { fields: { burnMs: 2000 } }) });
    const burnDone = burner.close().then(() => events.push('burn done'));
    await new Promise((r) => setTimeout(r, 200));
    other.write(encodeFrame(encodeRequest({ kind: 'keepalive', time: 42n })));
    await keepaliveAnswered;
    await burnDone;
    other.end();
    assert.deepEqual(events, ['keepalive', 'burn done']);
    assert.equal(burner.data.length, 1);
  });

  it('replaces a worker stuck in a loop once it misses heartbeats, ending only its sessions', async () => {
    const stuck = await KapacitorClient.connectSocket(host.socket('crash'), { timeoutMs: 0 });
    await stuck.init([]);
    stuck.send({ kind: 'point', point: point(1, 'a', { fields: { mode: 'hang' } }) });
    await assert.rejects(
      stuck.close(),
      (err: ProbeError) => err.code === 'KUDF_PROBE_UDF_ERROR' && /session lost/.test(err.message),
    );
    assert.ok(host.logs.some((l) => /stopped answering heartbeats/.test(l.msg)));
    const run = await probeTask(host.socket('mirror'), {});
    assert.equal(run.output.length, 1);
  });

  it('keeps memory bounded for a peer that sends a million points without reading, then delivers all of them in order', async () => {
    const socket = await rawConnect(host.socket('mirror'));
    const init = encodeFrame(encodeRequest({ kind: 'init', options: [], taskID: 'bp', nodeID: 'n' }));
    const frames: Uint8Array[] = [init];
    const total = 1_000_000;
    const rssBefore = await host.rssBytes();
    let sent = 0;
    // Write until the kernel and the host push back, without reading anything.
    const writeSome = (): boolean => {
      const batch: Uint8Array[] = [];
      for (let i = 0; i < 5000 && sent < total; i++, sent++)
        batch.push(encodeFrame(encodeRequest({ kind: 'point', point: point(sent, 'a') })));
      return socket.write(Buffer.concat(batch));
    };
    socket.write(Buffer.concat(frames));
    while (sent < total && writeSome());
    // Give the host time to fill whatever it buffers; the socket is now blocked by back-pressure.
    await new Promise((r) => setTimeout(r, 1500));
    const blockedAt = sent;
    const rssBlocked = await host.rssBytes();
    assert.ok(blockedAt < total, 'the writer was pushed back before sending everything');
    assert.ok(
      rssBlocked - rssBefore < 150 * 1024 * 1024,
      `host RSS grew by ${rssBlocked - rssBefore} bytes while the peer did not read`,
    );
    // Now read, and keep writing the rest as the host lets us.
    const decoder = new FrameDecoder();
    let expected = 0;
    let misordered = 0;
    let initSeen = false;
    const allIn = new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        decoder.feed(chunk);
        for (let b = decoder.nextFrame(); b !== undefined; b = decoder.nextFrame()) {
          const r = decodeResponse(b);
          if (r.kind === 'init') initSeen = true;
          else if (r.kind === 'point') {
            if (r.point.fields['count'] !== BigInt(expected)) misordered++;
            expected++;
          }
        }
        if (expected === total) resolve();
      });
    });
    socket.on('drain', () => {
      while (sent < total && writeSome());
      if (sent === total) socket.end();
    });
    while (sent < total && writeSome());
    if (sent === total) socket.end();
    await allIn;
    assert.ok(initSeen);
    assert.equal(expected, total);
    assert.equal(misordered, 0);
  });

  it('refuses to start on a socket directory another host is serving', async () => {
    const child = spawn(process.execPath, [KUDF, 'serve', '--socket-dir', host.socketDir, '--threads', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 1);
    assert.match(out, /is in use: another process answers on it/);
    assert.equal(
      (await probeInfo({ socket: host.socket('mirror') }, 2000)).wants,
      'stream',
      'the running host is untouched',
    );
  });
});

describe('kudf serve when a worker dies', () => {
  let crashHost: HostProcess;
  before(async () => {
    crashHost = await HostProcess.start(['--threads', '2', '--functions', 'mirror,crash']);
  });
  after(async () => {
    await crashHost.stop();
  });

  it('ends only the session in whose call a worker exits, with an ErrorResponse; its neighbour moves and the worker is replaced', async () => {
    // Least-loaded placement on a fresh host: healthy sessions on worker 1 and 2, the crasher joins worker 1.
    const healthy = await Promise.all(
      [0, 1].map(() => KapacitorClient.connectSocket(crashHost.socket('mirror'), { timeoutMs: 0 })),
    );
    for (const c of healthy) await c.init([]);
    const crasher = await KapacitorClient.connectSocket(crashHost.socket('crash'), { timeoutMs: 0 });
    await crasher.init([]);
    crasher.send({ kind: 'point', point: point(1, 'a', { fields: { mode: 'exit' } }) });
    await assert.rejects(
      crasher.close(),
      (err: ProbeError) => err.code === 'KUDF_PROBE_UDF_ERROR' && /session lost: worker/.test(err.message),
    );
    await crashHost.waitForLog((l) => l.msg === 'worker replaced');
    // One of the healthy sessions shared the dead worker and moved; both still mirror.
    const outcomes = await Promise.allSettled(
      healthy.map(async (c) => {
        c.send({ kind: 'point', point: point(2, 'b') });
        await c.close();
        return c.data.length;
      }),
    );
    assert.deepEqual(
      outcomes.map((o) => (o.status === 'fulfilled' ? o.value : String(o.reason))),
      [1, 1],
      'neither healthy session noticed',
    );
    assert.equal(
      crashHost.logs.filter((l) => l['code'] === 'KUDF_HOST_SESSION_MOVED').length,
      1,
      'the neighbour moved',
    );
    assert.equal(
      (await probeInfo({ socket: crashHost.socket('mirror') }, 2000)).wants,
      'stream',
      'new connections are served',
    );
  });
});

describe('kudf serve start-up and shutdown', () => {
  it('replaces a stale socket file left by a crash', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kudf-stale-'));
    // A listener killed with SIGKILL leaves its socket file behind, as a crash does.
    const path = join(dir, 'mirror.sock');
    const crashed = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    await new Promise((resolve) => crashed.on('exit', resolve));
    assert.ok((await lstat(join(dir, 'mirror.sock'))).isSocket());
    const host = await HostProcess.start(['--threads', '0', '--functions', 'mirror'], { socketDir: dir });
    try {
      const line = host.logs.find((l) => l.msg === 'serving function' && l['udf'] === 'mirror');
      assert.equal(line?.['replacedStale'], true);
      assert.equal((await probeInfo({ socket: host.socket('mirror') }, 2000)).wants, 'stream');
    } finally {
      await host.stop();
    }
  });

  it('lets an open session finish after SIGTERM, then removes the socket files and exits 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kudf-term-'));
    const host = await HostProcess.start(
      ['--threads', '1', '--functions', 'mirror', '--socket-mode', '660', '--grace', '20s'],
      { socketDir: dir },
    );
    assert.equal((await stat(host.socket('mirror'))).mode & 0o777, 0o660);
    const client = await KapacitorClient.connectSocket(host.socket('mirror'), { timeoutMs: 0 });
    await client.init([]);
    host.child.kill('SIGTERM');
    await host.waitForLog((l) => l.msg === 'shutting down: no new connections');
    client.send({ kind: 'point', point: point(1, 'a') });
    await client.close();
    assert.equal(client.data.length, 1, 'the session still got its reply during the grace period');
    assert.equal(await host.exited, 0);
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.endsWith('.sock')),
      [],
    );
  });

  it('runs every session on the main thread with --threads 0', async () => {
    const host = await HostProcess.start(['--threads', '0', '--functions', 'mirror']);
    try {
      const run = await probeTask(host.socket('mirror'), { batch: true, snapshot: true });
      assert.equal(run.output.length, 1);
      assert.equal(run.output[0]?.kind, 'batch');
      assert.ok(run.snapshot !== undefined && run.snapshot.byteLength > 0);
      assert.ok(host.logs.find((l) => l.msg === 'host ready')?.['workers'] !== undefined);
    } finally {
      await host.stop();
    }
  });
});
