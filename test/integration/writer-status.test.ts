/**
 * Status codes a real InfluxDB will not produce on demand (413, 429, 503 with Retry-After,
 * 401 with an echoing body) come from a scripted node:http peer on loopback; the tests then
 * check what finally reached it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { LinePoint } from '../../src/line-protocol/index.js';
import { createLogger } from '../../src/log/index.js';
import {
  createWriter,
  type Clock,
  DEFAULT_TUNING,
  type InfluxSettings,
  type WriterTuning,
} from '../../src/ingest/writer/index.js';
import { waitFor } from '../helpers/index.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** A peer that answers each write with `script(lines, request)` and keeps what it accepted. */
class ScriptedPeer {
  readonly accepted: string[] = [];
  readonly requests: Array<{ path: string; lines: number; auth: string | undefined }> = [];
  script: (lines: string[], req: IncomingMessage) => Reply = () => ({ status: 204 });
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
        const lines = body
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== '');
        this.requests.push({ path: req.url ?? '', lines: lines.length, auth: req.headers.authorization });
        const r = this.script(lines, req);
        if (r.status === 204) this.accepted.push(...lines);
        res.writeHead(r.status, { 'Content-Type': 'application/json', ...r.headers });
        res.end(r.body ?? '');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    this.port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

/** Real timers shortened to a few ms, recording the delays the writer asked for. */
function recordingClock(): Clock & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    now: () => Date.now(),
    monotonic: () => performance.now(),
    setTimeout: (fn, ms) => {
      delays.push(ms);
      return setTimeout(fn, Math.min(ms, 5));
    },
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  };
}

const TUNING: WriterTuning = {
  ...DEFAULT_TUNING,
  flushIntervalMs: 7,
  retryMinDelayMs: 10,
  retryMaxDelayMs: 80,
  retryAfterMaxMs: 500,
  timeoutMs: 2000,
  batchSize: 64,
};

let peer: ScriptedPeer;
let scratch: string;
before(async () => {
  peer = new ScriptedPeer();
  await peer.start();
  scratch = mkdtempSync(join(tmpdir(), 'kudf-writer-status-'));
});
after(async () => {
  await peer.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function reset(script: ScriptedPeer['script']): void {
  peer.accepted.length = 0;
  peer.requests.length = 0;
  peer.script = script;
}

function v1Settings(name: string, tuning: Partial<WriterTuning> = {}): InfluxSettings {
  return {
    target: {
      kind: 'v1',
      url: peer.url,
      database: 'db',
      retentionPolicy: 'rp',
      username: 'u',
      password: 'Peer-Secret-pw',
      createDatabase: false,
    },
    tuning: { ...TUNING, ...tuning },
    queueDir: join(scratch, name),
  };
}

function v2Settings(name: string, tuning: Partial<WriterTuning> = {}): InfluxSettings {
  return {
    target: { kind: 'v2', url: peer.url, token: 'Tok-Secret-123', org: 'o', bucket: 'b' },
    tuning: { ...TUNING, ...tuning },
    queueDir: join(scratch, name),
  };
}

const pts = (n: number, from = 0): LinePoint[] =>
  Array.from({ length: n }, (_, k) => ({
    measurement: 'm',
    tags: {},
    fields: { v: BigInt(from + k) },
    time: BigInt(from + k),
  }));
const expectLines = (n: number, from = 0): string[] =>
  Array.from({ length: n }, (_, k) => `m v=${from + k}i ${from + k}`);

function silent(): ReturnType<typeof createLogger> {
  return createLogger({ level: 'silent' });
}

test('413 splits the batch until the pieces fit, and every line arrives once, in order', async () => {
  reset((lines) =>
    lines.length > 10 ? { status: 413, body: '{"error":"Request Entity Too Large"}' } : { status: 204 },
  );
  const w = createWriter(v1Settings('split'), { logger: silent(), clock: recordingClock() });
  w.write(pts(64));
  await w.flush();
  await w.close();
  assert.deepEqual(peer.accepted, expectLines(64));
  assert.ok(peer.requests.some((r) => r.lines === 64));
  assert.equal(w.stats.written, 64);
  assert.equal(w.stats.deadLettered, 0);
});

test('503 with Retry-After is honoured up to the configured cap, then the data is delivered', async () => {
  let refusals = 2;
  reset(() =>
    refusals-- > 0 ? { status: 503, headers: { 'Retry-After': '2' }, body: '{"error":"busy"}' } : { status: 204 },
  );
  const clock = recordingClock();
  const w = createWriter(v1Settings('retry-after'), { logger: silent(), clock });
  w.write(pts(5));
  await waitFor('delivery', async () => peer.accepted.length === 5);
  await w.close();
  assert.deepEqual(peer.accepted, expectLines(5));
  assert.equal(
    clock.delays.filter((d) => d === 2000).length,
    0,
    'a 2 s Retry-After is capped at retryAfterMaxMs (500)',
  );
  assert.equal(clock.delays.filter((d) => d === 500).length, 2);
});

test('429 with a short Retry-After through the v2 client is honoured as given', async () => {
  let refusals = 1;
  reset(() =>
    refusals-- > 0
      ? { status: 429, headers: { 'Retry-After': '0' }, body: '{"code":"too many requests","message":"slow down"}' }
      : { status: 204 },
  );
  const clock = recordingClock();
  const w = createWriter(v2Settings('v2-429'), { logger: silent(), clock });
  w.write(pts(3));
  await waitFor('delivery', async () => peer.accepted.length === 3);
  await w.close();
  assert.deepEqual(peer.accepted, expectLines(3));
  assert.ok(clock.delays.includes(0), `a Retry-After of 0 s was used (${clock.delays.join(',')})`);
  assert.match(peer.requests[0]?.path ?? '', /^\/api\/v2\/write\?org=o&bucket=b&precision=ns/);
});

test('500s are retried with growing, jittered delays until the server takes the data', async () => {
  let refusals = 4;
  reset(() => (refusals-- > 0 ? { status: 500, body: '{"error":"timeout"}' } : { status: 204 }));
  const clock = recordingClock();
  const w = createWriter(v1Settings('backoff'), { logger: silent(), clock, random: () => 1 });
  w.write(pts(4));
  await waitFor('delivery', async () => peer.accepted.length === 4);
  await w.close();
  const retryDelays = clock.delays.filter((d) => d !== TUNING.flushIntervalMs);
  assert.deepEqual(retryDelays.slice(0, 4), [10, 20, 40, 80]);
  assert.deepEqual(peer.accepted, expectLines(4));
  assert.equal(w.stats.retries, 4);
});

test('over its byte bound the queue drops the oldest lines, says so, and delivers the rest in order', async () => {
  let down = true;
  reset(() => (down ? { status: 503, body: '{"error":"down"}' } : { status: 204 }));
  let logText = '';
  const logger = createLogger({ level: 'info', stream: { write: (s: string) => void (logText += s) } });
  const w = createWriter(v1Settings('bounded', { queueMaxBytes: 2000 }), {
    logger,
    clock: recordingClock(),
    segmentBytes: 512,
  });
  for (let k = 0; k < 20; k++) w.write(pts(10, k * 10));
  await w.flush();
  const dropped = w.stats.dropped;
  assert.ok(dropped > 0, 'some lines were dropped');
  assert.match(logText, /queue full: dropping the oldest lines/);
  down = false;
  await waitFor('delivery', async () => w.stats.queued === 0);
  await w.close();
  const kept = 200 - dropped;
  assert.deepEqual(peer.accepted, expectLines(kept, dropped));
});

test('401 keeps the batch and retries; the token never reaches the log, even when the server echoes it', async () => {
  let refusals = 3;
  reset((_lines, req) =>
    refusals-- > 0
      ? {
          status: 401,
          body: JSON.stringify({ code: 'unauthorized', message: `bad ${req.headers.authorization ?? ''}` }),
        }
      : { status: 204 },
  );
  let logText = '';
  const logger = createLogger({ level: 'debug', stream: { write: (s: string) => void (logText += s) } });
  const w = createWriter(v2Settings('v2-401'), { logger, clock: recordingClock() });
  w.write(pts(2));
  await waitFor('delivery', async () => peer.accepted.length === 2);
  await w.close();
  assert.deepEqual(peer.accepted, expectLines(2));
  assert.equal(peer.requests[0]?.auth, 'Token Tok-Secret-123');
  assert.match(logText, /refuses the credentials/);
  assert.ok(!logText.includes('Tok-Secret-123'), 'token in the log');
});

test('v1 requests carry db, rp and precision in the URL and the credentials only in a header', async () => {
  reset(() => ({ status: 204 }));
  let logText = '';
  const logger = createLogger({ level: 'debug', stream: { write: (s: string) => void (logText += s) } });
  const w = createWriter(v1Settings('v1-url', { precision: 's' }), { logger, clock: recordingClock() });
  w.write([{ measurement: 'm', tags: {}, fields: { v: 1 }, time: 1_500_000_000_999_999_999n }]);
  await w.flush();
  await w.close();
  assert.equal(peer.requests[0]?.path, '/write?db=db&rp=rp&precision=s');
  assert.equal(peer.requests[0]?.auth, `Basic ${Buffer.from('u:Peer-Secret-pw').toString('base64')}`);
  assert.deepEqual(peer.accepted, ['m v=1 1500000000']);
  assert.ok(!logText.includes('Peer-Secret-pw'));
});

test('close() resolves only after the request in flight has been answered, and write() afterwards is refused', async () => {
  let release: (() => void) | undefined;
  const gate = new Promise<void>((r) => (release = r));
  reset(() => ({ status: 204 }));
  const slowPeer = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      void gate.then(() => {
        res.writeHead(204);
        res.end();
      });
    });
  });
  await new Promise<void>((r) => slowPeer.listen(0, '127.0.0.1', r));
  const addr = slowPeer.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  const settings = v1Settings('close');
  settings.target = { ...settings.target, url: `http://127.0.0.1:${port}` } as InfluxSettings['target'];
  const w = createWriter(settings, { logger: silent(), clock: recordingClock() });
  w.write(pts(3));
  void w.flush();
  await waitFor('a request in flight', async () => w.stats.requests === 1);
  const closing = w.close();
  let closed = false;
  void closing.then(() => (closed = true));
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(closed, false, 'close() waits for the answer');
  release?.();
  await closing;
  assert.equal(w.stats.written, 3);
  assert.equal(w.stats.queued, 0);
  assert.throws(() => w.write(pts(1)), { code: 'KUDF_WRITER_CLOSED' });
  slowPeer.closeAllConnections();
  await new Promise<void>((r) => slowPeer.close(() => r()));
});
