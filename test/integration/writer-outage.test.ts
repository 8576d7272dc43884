/**
 * Outages against a real influxd: stopped and started on the same port and data, and a
 * writer process killed with SIGKILL. This file doubles as the child process: run with
 * KUDF_WRITER_CHILD set, it writes instead of testing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LinePoint } from '../../src/line-protocol/index.js';
import { createLogger } from '../../src/log/index.js';
import {
  createWriter,
  type PointWriter,
  DEFAULT_TUNING,
  type InfluxSettings,
  type WriterTuning,
} from '../../src/ingest/writer/index.js';
import { Influxd, waitFor } from '../helpers/index.js';

const FAST: WriterTuning = {
  ...DEFAULT_TUNING,
  flushIntervalMs: 20,
  retryMinDelayMs: 20,
  retryMaxDelayMs: 150,
  timeoutMs: 2000,
  batchSize: 50,
};
const T0 = 1_700_000_000_000_000_000n;

function settingsFor(url: string, db: string, queueDir: string): InfluxSettings {
  return {
    target: {
      kind: 'v1',
      url,
      database: db,
      retentionPolicy: undefined,
      username: undefined,
      password: undefined,
      createDatabase: false,
    },
    tuning: FAST,
    queueDir,
  };
}

/** Point i of a run: a unique timestamp per point and a value derived from i, so both loss and corruption show. */
function point(i: number): LinePoint {
  return {
    measurement: 'seq',
    tags: { src: String(i % 3) },
    fields: { i: BigInt(i), half: i / 2 },
    time: T0 + BigInt(i) * 1000n,
  };
}

async function runChild(): Promise<void> {
  const cfg = JSON.parse(process.env['KUDF_WRITER_CHILD'] as string) as {
    url: string;
    db: string;
    queueDir: string;
    from: number;
    count: number;
    perWrite: number;
  };
  const logger = createLogger({ level: 'warn', fd: 2 });
  const w = createWriter(settingsFor(cfg.url, cfg.db, cfg.queueDir), { logger, segmentBytes: 4096 });
  for (let i = cfg.from; i < cfg.from + cfg.count; i += cfg.perWrite) {
    const pts: LinePoint[] = [];
    for (let j = i; j < Math.min(i + cfg.perWrite, cfg.from + cfg.count); j++) pts.push(point(j));
    w.write(pts);
  }
  process.stdout.write(`${JSON.stringify({ appended: true, ...w.stats })}\n`);
  // Report progress until killed (or until everything is written, then exit cleanly).
  for (;;) {
    await new Promise((r) => setTimeout(r, 5));
    process.stdout.write(`${JSON.stringify(w.stats)}\n`);
    if (w.stats.queued === 0) {
      await w.close();
      process.stdout.write(`${JSON.stringify({ done: true, ...w.stats })}\n`);
      return;
    }
  }
}

interface ChildStats {
  appended?: boolean;
  done?: boolean;
  written: number;
  queued: number;
  retries: number;
}

/** Starts a writer child; `until` decides from its stats lines when to SIGKILL it (never, when undefined). */
function child(
  cfg: object,
  until?: (s: ChildStats) => boolean,
): Promise<{ killed: boolean; last: ChildStats | undefined }> {
  const self = fileURLToPath(import.meta.url);
  const proc = spawn(process.execPath, [self], {
    env: { ...process.env, KUDF_WRITER_CHILD: JSON.stringify(cfg) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let last: ChildStats | undefined;
  let killed = false;
  createInterface({ input: proc.stdout }).on('line', (l) => {
    last = JSON.parse(l) as ChildStats;
    if (!killed && until?.(last) === true) {
      killed = true;
      proc.kill('SIGKILL');
    }
  });
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code, signal) => {
      if (!killed && code !== 0) reject(new Error(`writer child failed: code ${code} signal ${signal}`));
      else resolve({ killed: killed && signal === 'SIGKILL', last });
    });
  });
}

async function checkSeq(influxd: Influxd, db: string, n: number): Promise<void> {
  assert.equal(await influxd.count(db, 'seq', 'i'), n, 'every point exactly once');
  const rows = await influxd.query(db, 'SELECT i, half FROM seq');
  const values = rows[0]?.values ?? [];
  assert.equal(values.length, n);
  values.forEach((v, k) => {
    assert.equal(v[1], k, `point ${k} in place`);
    assert.equal(v[2], k / 2);
  });
}

if (process.env['KUDF_WRITER_CHILD'] !== undefined) {
  await runChild();
} else {
  process.on('unhandledRejection', (err) => {
    throw err;
  });

  let influxd: Influxd;
  let scratch: string;
  before(async () => {
    influxd = await Influxd.start();
    scratch = mkdtempSync(join(tmpdir(), 'kudf-writer-outage-'));
  });
  after(async () => {
    await influxd.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('points written while influxd is down arrive exactly once, in order, after it is back', async () => {
    await influxd.exec('CREATE DATABASE outage');
    let logText = '';
    const logger = createLogger({ level: 'debug', stream: { write: (s: string) => void (logText += s) } });
    const w: PointWriter = createWriter(settingsFor(influxd.url, 'outage', join(scratch, 'q-outage')), {
      logger,
      segmentBytes: 2048,
    });
    let i = 0;
    const writeSome = (n: number): void => {
      w.write(Array.from({ length: n }, () => point(i++)));
    };
    writeSome(30);
    await w.flush();
    assert.equal(w.stats.queued, 0);
    await influxd.pause();
    for (let round = 0; round < 5; round++) {
      writeSome(40);
      await w.flush();
      await waitFor('a failed attempt', async () => w.stats.retries > round);
    }
    assert.ok(w.stats.queued > 0, 'the outage leaves lines queued');
    await influxd.resume();
    await waitFor('the queue to drain', async () => w.stats.queued === 0, 30_000);
    await w.close();
    await checkSeq(influxd, 'outage', 230);
    assert.equal(w.stats.written, 230);
    assert.match(logText, /data stays queued/);
    assert.match(logText, /writes succeed again/);
  });

  test('a writer killed with SIGKILL while influxd is down resumes its queue after restart: nothing lost, nothing doubled', async () => {
    await influxd.exec('CREATE DATABASE killed');
    const queueDir = join(scratch, 'q-killed');
    await influxd.pause();
    const first = await child(
      { url: influxd.url, db: 'killed', queueDir, from: 0, count: 500, perWrite: 25 },
      (s) => s.retries >= 2,
    );
    assert.equal(first.killed, true);
    assert.equal(first.last?.written, 0);
    await influxd.resume();
    const second = await child({ url: influxd.url, db: 'killed', queueDir, from: 500, count: 100, perWrite: 25 });
    assert.equal(second.last?.done, true);
    assert.equal(second.last?.queued, 0);
    await checkSeq(influxd, 'killed', 600);
  });

  test('a writer killed with SIGKILL in the middle of delivering resumes where it stopped: counts stay exact', async () => {
    await influxd.exec('CREATE DATABASE midway');
    const queueDir = join(scratch, 'q-midway');
    const first = await child(
      { url: influxd.url, db: 'midway', queueDir, from: 0, count: 2000, perWrite: 100 },
      (s) => s.written >= 300,
    );
    assert.equal(first.killed, true, 'killed before it finished');
    const before = await influxd.count('midway', 'seq', 'i');
    assert.ok(before > 0 && before < 2000, `partly delivered before the kill (${before})`);
    const second = await child({ url: influxd.url, db: 'midway', queueDir, from: 2000, count: 10, perWrite: 10 });
    assert.equal(second.last?.done, true);
    await checkSeq(influxd, 'midway', 2010);
  });
}
