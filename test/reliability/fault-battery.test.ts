/**
 * Hostile and broken peers against a real `kudf serve` (child process, two worker threads).
 * Every case runs on its own connection; after each, a fresh connection must still get Info and
 * mirrored points, while one long-lived mirror task runs through the whole battery and must
 * get every one of its points back, in order, at the end.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { KapacitorClient, probeInfo } from '../../src/probe/index.js';
import { encodeFrame, encodeRequest, encodeUvarint, type Request, type Response } from '../../src/protocol/index.js';
import { HostProcess } from '../helpers/index.js';
import { assertServing, exchange, rawConnect, seqPoint } from './raw-peer.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

const frames = (...requests: Request[]): Uint8Array =>
  new Uint8Array(Buffer.concat(requests.map((r) => encodeFrame(encodeRequest(r)))));
const raw = (body: number[]): Uint8Array => new Uint8Array([...encodeUvarint(body.length), ...body]);
const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const initEdge: Request = {
  kind: 'init',
  options: [{ name: 'field', values: [{ type: 'string', value: 'v' }] }],
  taskID: 'battery',
  nodeID: 'n',
};

function onlyError(responses: Response[], pattern: RegExp, before: Response['kind'][] = []): void {
  assert.deepEqual(
    responses.map((r) => r.kind),
    [...before, 'error'],
    `expected ${[...before, 'error'].join(',')}, got ${responses.map((r) => r.kind).join(',')}`,
  );
  const last = responses.at(-1) as Extract<Response, { kind: 'error' }>;
  assert.match(last.error, pattern);
}

/** A deterministic byte generator, so that a failing garbage case can be rerun. */
function garbage(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('fault battery against kudf serve over Unix sockets', () => {
  let host: HostProcess;
  let mirror: KapacitorClient;
  let pump: NodeJS.Timeout | undefined;
  let sent = 0;

  before(async () => {
    host = await HostProcess.start([
      '--threads',
      '2',
      '--functions',
      'mirror,edgeDetect,movingAverage',
      '--stall-timeout',
      '5s',
    ]);
    mirror = await KapacitorClient.connectSocket(host.socket('mirror'), { timeoutMs: 0 });
    assert.equal((await mirror.init([], 'bystander', 'n')).success, true);
    // The bystander keeps points flowing for the whole battery.
    pump = setInterval(() => {
      mirror.sendMany(Array.from({ length: 20 }, () => ({ kind: 'point' as const, point: seqPoint(sent++) })));
    }, 10);
  });

  afterEach(async () => {
    await assertServing((udf) => host.socket(udf));
    assert.equal(host.child.exitCode, null, 'the host is alive');
  });

  after(async () => {
    clearInterval(pump);
    try {
      await mirror.close();
      const seqs = mirror.data.map((r) => (r.kind === 'point' ? Number(r.point.fields['seq']) : -1));
      assert.equal(seqs.length, sent, `the bystander got ${seqs.length} of ${sent} points back`);
      assert.ok(
        seqs.every((s, i) => s === i),
        'the bystander got its points back in order',
      );
      console.log(`# bystander mirror task: ${sent} points sent and returned in order`);
      assert.ok(!host.logs.some((l) => l.level >= 60), 'no fatal log line');
      assert.equal(host.child.exitCode, null);
    } finally {
      await host.stop();
    }
  });

  it('answers an over-long varint length prefix with an ErrorResponse and closes', async () => {
    const r = await exchange(host.socket('edgeDetect'), new Uint8Array(16).fill(0xff));
    onlyError(r.responses, /invalid frame: .*not a valid uvarint/);
    assert.equal(r.ended, 'host');
  });

  it('answers an HTTP request sent to the socket with an ErrorResponse and closes', async () => {
    const http = new TextEncoder().encode(
      `GET /metrics HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\n${'X-Pad: y\r\n'.repeat(8)}\r\n`,
    );
    const r = await exchange(host.socket('edgeDetect'), http);
    onlyError(r.responses, /invalid (frame|request)/);
    assert.equal(r.ended, 'host');
  });

  it('survives 64 KiB of random garbage: at most one ErrorResponse, then the connection closes', async () => {
    for (const seed of [1, 2, 3]) {
      const r = await exchange(host.socket('movingAverage'), garbage(64 * 1024, seed), { endAfter: true });
      assert.equal(r.ended, 'host', `seed ${seed}: the host closed the connection`);
      assert.ok(r.badReply === undefined, `seed ${seed}: replies decode`);
      const kinds = r.responses.map((x) => x.kind);
      assert.ok(
        kinds.indexOf('error') === -1 || kinds.indexOf('error') === kinds.length - 1,
        `seed ${seed}: an error is the last reply (${kinds.join(',')})`,
      );
    }
  });

  it('rejects a 2^31 length prefix from its header alone, followed by a megabyte of body, without a jump in memory', async () => {
    const before = await host.rssBytes();
    const r = await exchange(
      host.socket('mirror'),
      cat(new Uint8Array(encodeUvarint(2 ** 31)), new Uint8Array(1024 * 1024)),
    );
    const afterRss = await host.rssBytes();
    onlyError(r.responses, /frame length 2147483648 exceeds the limit/);
    assert.equal(r.ended, 'host');
    console.log(
      `# 2^31 prefix: host RSS ${(before / 2 ** 20).toFixed(1)} MiB -> ${(afterRss / 2 ** 20).toFixed(1)} MiB`,
    );
    assert.ok(afterRss - before < 32 * 2 ** 20, `RSS grew by ${afterRss - before} bytes`);
  });

  it('closes quietly on a frame cut short by the peer, and logs the partial frame', async () => {
    const whole = frames({ ...initEdge, taskID: 'truncated' });
    const r = await exchange(host.socket('edgeDetect'), whole.subarray(0, whole.length - 5), { endAfter: true });
    assert.deepEqual(r.responses, []);
    assert.equal(r.ended, 'host');
    const line = await host.waitForLog(
      (l) => /middle of a frame/.test(l.msg) && l['bufferedBytes'] === whole.length - 5,
    );
    assert.ok(line.level >= 40);
  });

  it('answers a valid length with an invalid protobuf body with an ErrorResponse', async () => {
    // Member 1 (InfoRequest) claims 5 bytes but the frame holds one.
    const r = await exchange(host.socket('edgeDetect'), raw([0x0a, 0x05, 0x01]));
    onlyError(r.responses, /invalid request: invalid protobuf/);
  });

  it('answers a zero-length frame with an ErrorResponse saying no member is set', async () => {
    const r = await exchange(host.socket('edgeDetect'), cat(frames(initEdge), new Uint8Array([0])));
    onlyError(r.responses, /no member set/, ['init']);
  });

  it('answers a Request whose only member is unknown (field 9, varint) with an ErrorResponse naming it', async () => {
    const r = await exchange(host.socket('edgeDetect'), cat(frames(initEdge), raw([0x48, 0x01])));
    onlyError(r.responses, /unknown member \(field 9\)/, ['init']);
  });

  it('answers a point before Init with an ErrorResponse and ignores what follows in the same write', async () => {
    const r = await exchange(
      host.socket('edgeDetect'),
      frames({ kind: 'point', point: seqPoint(1) }, { kind: 'info' }, initEdge),
    );
    onlyError(r.responses, /edgeDetect: point before Init/);
  });

  it('fails Init with an unknown option, naming it, and still answers the next request', async () => {
    const r = await exchange(
      host.socket('edgeDetect'),
      frames(
        {
          ...initEdge,
          options: [...initEdge.options, { name: 'frobnicate', values: [{ type: 'bool', value: true }] }],
        },
        { kind: 'info' },
      ),
      { endAfter: true },
    );
    assert.deepEqual(
      r.responses.map((x) => x.kind),
      ['init', 'info'],
    );
    const init = r.responses[0] as Extract<Response, { kind: 'init' }>;
    assert.equal(init.success, false);
    assert.match(init.error, /frobnicate/);
  });

  it('fails Init with a wrongly typed option, naming the option and the types', async () => {
    const r = await exchange(
      host.socket('edgeDetect'),
      frames({ ...initEdge, options: [{ name: 'field', values: [{ type: 'int', value: 3n }] }] }),
      { endAfter: true },
    );
    const init = r.responses[0] as Extract<Response, { kind: 'init' }>;
    assert.equal(init.kind, 'init');
    assert.equal(init.success, false);
    assert.match(init.error, /field/);
    assert.match(init.error, /string/i);
  });

  it('fails Restore with garbage bytes, with a well-formed snapshot of broken state, and before Init, with a RestoreResponse each', async () => {
    const init: Request = {
      kind: 'init',
      options: [
        { name: 'field', values: [{ type: 'string', value: 'v' }] },
        { name: 'size', values: [{ type: 'int', value: 3n }] },
      ],
      taskID: 'restore',
      nodeID: 'n',
    };
    // A real snapshot of this function and option set, with its state swapped for a wrong shape.
    const donor = await KapacitorClient.connectSocket(host.socket('movingAverage'), { timeoutMs: 0 });
    await donor.init(init.options);
    const envelope = JSON.parse(Buffer.from(await donor.snapshot()).toString('utf8')) as { state: unknown };
    await donor.close();
    envelope.state = { groups: 7 };
    const broken = new TextEncoder().encode(JSON.stringify(envelope));
    const r = await exchange(
      host.socket('movingAverage'),
      frames(
        init,
        { kind: 'restore', snapshot: garbage(300, 9) },
        { kind: 'restore', snapshot: broken },
        { kind: 'info' },
      ),
      {
        endAfter: true,
      },
    );
    assert.deepEqual(
      r.responses.map((x) => x.kind),
      ['init', 'restore', 'restore', 'info'],
    );
    for (const res of r.responses.slice(1, 3) as Array<Extract<Response, { kind: 'restore' }>>) {
      assert.equal(res.success, false);
      assert.match(res.error, /^movingAverage: /);
    }
    const early = await exchange(host.socket('movingAverage'), frames({ kind: 'restore', snapshot: garbage(10, 3) }), {
      endAfter: true,
    });
    assert.equal(early.responses[0]?.kind, 'restore');
    assert.equal(early.responses[0].success, false);
  });

  it('drops a session whose peer vanishes while points flow, and logs the loss with its task', async () => {
    const socket = await rawConnect(host.socket('mirror'));
    socket.on('error', () => undefined);
    socket.write(frames({ kind: 'init', options: [], taskID: 'vanishing', nodeID: 'n' }));
    const chunk = frames(...Array.from({ length: 500 }, (_, i) => ({ kind: 'point' as const, point: seqPoint(i) })));
    const until = Date.now() + 300;
    while (Date.now() < until) {
      socket.write(chunk);
      await new Promise((r) => setImmediate(r));
    }
    socket.destroy();
    const line = await host.waitForLog(
      (l) => (l.msg === 'connection lost' || l.msg === 'session ended') && l['taskID'] === 'vanishing',
    );
    assert.ok(line.msg === 'connection lost' || line.msg === 'session ended');
  });

  it('answers an EndBatch without a BeginBatch with an ErrorResponse, never with an EndBatch', async () => {
    const r = await exchange(
      host.socket('mirror'),
      frames(
        { kind: 'init', options: [], taskID: 'nobegin', nodeID: 'n' },
        { kind: 'end', end: { name: 'm', group: '', tmax: 5n, tags: {}, byName: false } },
      ),
    );
    onlyError(r.responses, /mirror: EndBatch without BeginBatch/, ['init']);
  });

  it('closes a connection whose peer closes its write side at once, without replying', async () => {
    const r = await exchange(host.socket('mirror'), new Uint8Array(0), { endAfter: true });
    assert.deepEqual(r.responses, []);
    assert.equal(r.ended, 'host');
  });

  it('answers Info on 200 simultaneous connections', async () => {
    const started = performance.now();
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) =>
        probeInfo({ socket: host.socket(i % 2 === 0 ? 'mirror' : 'edgeDetect') }, 5000),
      ),
    );
    const ms = performance.now() - started;
    const answered = results.filter((r) => r.status === 'fulfilled').length;
    console.log(`# 200 simultaneous Info connections: ${answered} answered in ${ms.toFixed(0)} ms`);
    assert.equal(answered, 200, results.find((r) => r.status === 'rejected')?.reason as string);
    assert.ok(ms < 5000, `took ${ms} ms`);
  });
});
