import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LinePoint } from '../../src/line-protocol/index.js';
import { createLogger } from '../../src/log/index.js';
import {
  createWriter,
  type DeadLetterEntry,
  type PointWriter,
  DEFAULT_TUNING,
  resolveInfluxSettings,
  type InfluxSettings,
  type WriterTuning,
} from '../../src/ingest/writer/index.js';
import { Influxd, waitFor } from '../helpers/index.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

const ADMIN = { user: 'admin', password: 'Adm1n-Secret-pw' };
let influxd: Influxd;
let scratch: string;

before(async () => {
  influxd = await Influxd.start({ admin: ADMIN });
  scratch = mkdtempSync(join(tmpdir(), 'kudf-writer-v1-'));
});

after(async () => {
  await influxd.stop();
  rmSync(scratch, { recursive: true, force: true });
});

const FAST: WriterTuning = {
  ...DEFAULT_TUNING,
  flushIntervalMs: 20,
  retryMinDelayMs: 20,
  retryMaxDelayMs: 200,
  timeoutMs: 3000,
  batchSize: 100,
};

function capture(): { logger: ReturnType<typeof createLogger>; text: () => string } {
  let buf = '';
  const logger = createLogger({ level: 'debug', stream: { write: (s: string) => void (buf += s) } });
  return { logger, text: () => buf };
}

function v1(
  db: string,
  extra: Partial<{ createDatabase: boolean; password: string; precision: WriterTuning['precision'] }> = {},
): InfluxSettings {
  return {
    target: {
      kind: 'v1',
      url: influxd.url,
      database: db,
      retentionPolicy: undefined,
      username: ADMIN.user,
      password: extra.password ?? ADMIN.password,
      createDatabase: extra.createDatabase ?? false,
    },
    tuning: { ...FAST, precision: extra.precision ?? 'ns' },
    queueDir: join(scratch, `${db}-${Math.random().toString(36).slice(2)}`),
  };
}

async function drained(w: PointWriter): Promise<void> {
  await w.flush();
  await waitFor('the queue to drain', async () => w.stats.queued === 0, 20_000);
}

test('points written through /write read back with exact values and field types', async () => {
  await influxd.exec('CREATE DATABASE exactdb');
  const log = capture();
  const w = createWriter(v1('exactdb'), { logger: log.logger });
  const t0 = 1_700_000_000_000_000_000n;
  const points: LinePoint[] = [
    {
      measurement: 'dsl',
      tags: { line: 'a b', router: 'r1' },
      fields: { snr: 6.5, crc: 42n, up: true, mode: 'VDSL2 "17a"' },
      time: t0,
    },
    {
      measurement: 'dsl',
      tags: { line: 'a b', router: 'r1' },
      fields: { snr: 7, crc: -9007199254740993n, up: false, mode: 'two\nlines' },
      time: t0 + 1n,
    },
  ];
  w.write(points);
  await drained(w);
  await w.close();
  const types = await influxd.query('exactdb', 'SHOW FIELD KEYS FROM dsl');
  assert.deepEqual(Object.fromEntries((types[0]?.values ?? []).map((v) => [v[0], v[1]])), {
    crc: 'integer',
    mode: 'string',
    snr: 'float',
    up: 'boolean',
  });
  const rows = await influxd.query('exactdb', 'SELECT crc, mode, snr, up FROM dsl GROUP BY *');
  assert.equal(rows.length, 1);
  assert.deepEqual(rows[0]?.tags, { line: 'a b', router: 'r1' });
  const values = rows[0]?.values ?? [];
  assert.equal(values.length, 2);
  // JSON numbers lose int64 precision beyond 2^53, so the big one is compared through the text of the row.
  assert.deepEqual(values[0], [1.7e18, 42, 'VDSL2 "17a"', 6.5, true]);
  assert.equal(values[1]?.[2], 'two\nlines');
  assert.equal(values[1]?.[3], 7);
  const raw = await fetch(
    `${influxd.url}/query?${new URLSearchParams({ db: 'exactdb', q: 'SELECT crc FROM dsl', epoch: 'ns', u: ADMIN.user, p: ADMIN.password }).toString()}`,
  ).then((r) => r.text());
  assert.ok(raw.includes('-9007199254740993'), raw);
  assert.equal(w.stats.written, 2);
  assert.equal(w.stats.accepted, 2);
});

test('points without a time are stamped by the writer, so all of one write() share a time', async () => {
  await influxd.exec('CREATE DATABASE stamped');
  const w = createWriter(v1('stamped'), { logger: capture().logger });
  const before = BigInt(Date.now()) * 1_000_000n;
  w.write([
    { measurement: 'm', tags: { k: '1' }, fields: { v: 1n } },
    { measurement: 'm', tags: { k: '2' }, fields: { v: 2n } },
  ]);
  await drained(w);
  await w.close();
  const rows = await influxd.query('stamped', 'SELECT v FROM m GROUP BY k');
  assert.equal(rows.length, 2);
  const times = rows.map((r) => BigInt(r.values[0]?.[0] as number));
  assert.equal(times[0], times[1]);
  assert.ok((times[0] as bigint) >= before - 1_000_000_000n);
});

test('the database is created on first connect when allowed', async () => {
  const w = createWriter(v1('autocreated', { createDatabase: true }), { logger: capture().logger });
  w.write([{ measurement: 'm', tags: {}, fields: { v: 1.5 }, time: 1_000_000_000n }]);
  await drained(w);
  await w.close();
  const dbs = await influxd.query('', 'SHOW DATABASES');
  assert.ok(dbs[0]?.values.some((v) => v[0] === 'autocreated'));
  assert.equal(await influxd.count('autocreated', 'm', 'v'), 1);
});

test('precision ms truncates the timestamps on the wire', async () => {
  await influxd.exec('CREATE DATABASE precise');
  const w = createWriter(v1('precise', { precision: 'ms' }), { logger: capture().logger });
  w.write([{ measurement: 'm', tags: {}, fields: { v: 1 }, time: 1_700_000_000_123_456_789n }]);
  await drained(w);
  await w.close();
  const rows = await influxd.query('precise', 'SELECT v FROM m');
  assert.equal(rows[0]?.values[0]?.[0], 1_700_000_000_123_000_000);
});

test('a field type conflict goes to the dead-letter file with the reason, and later good points still flow', async () => {
  await influxd.exec('CREATE DATABASE conflict');
  const log = capture();
  const settings = v1('conflict');
  const w = createWriter(settings, { logger: log.logger });
  w.write([{ measurement: 'm', tags: { s: 'a' }, fields: { value: 1n }, time: 1_000n }]);
  await drained(w);
  w.write([
    { measurement: 'm', tags: { s: 'a' }, fields: { value: 2n }, time: 2_000n },
    { measurement: 'm', tags: { s: 'a' }, fields: { value: 'x' }, time: 3_000n },
    { measurement: 'm', tags: { s: 'a' }, fields: { value: 4n }, time: 4_000n },
  ]);
  await drained(w);
  w.write([{ measurement: 'm', tags: { s: 'a' }, fields: { value: 5n }, time: 5_000n }]);
  await drained(w);
  await w.close();
  assert.equal(w.stats.deadLettered, 1);
  const entries = readFileSync(join(settings.queueDir as string, 'dead-letter.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as DeadLetterEntry);
  assert.equal(entries.length, 1);
  assert.equal(entries[0]?.line, 'm,s=a value="x" 3000');
  assert.equal(entries[0]?.status, 400);
  assert.match(entries[0]?.reason ?? '', /field type conflict/);
  const rows = await influxd.query('conflict', 'SELECT value FROM m');
  assert.deepEqual(
    rows[0]?.values.map((v) => v[1]),
    [1, 2, 4, 5],
  );
  assert.match(log.text(), /dead-letter/);
});

test('passwords appear in no log line, not even when the server refuses them', async () => {
  await influxd.exec('CREATE DATABASE secrets');
  const log = capture();
  const wrong = 'Wr0ng-Secret-pw';
  const bad = createWriter(v1('secrets', { password: wrong }), { logger: log.logger });
  bad.write([{ measurement: 'm', tags: {}, fields: { v: 1 }, time: 1n }]);
  await bad.flush();
  await waitFor('a refused attempt', async () => bad.stats.retries > 0);
  await bad.close();
  assert.equal(bad.stats.queued, 1, 'a 401 keeps the data');
  assert.match(log.text(), /refuses the credentials/);

  const fromUrl = resolveInfluxSettings(
    {
      influxUrl: `http://${ADMIN.user}:${ADMIN.password}@127.0.0.1:${influxd.port}`,
      influxDb: 'secrets',
      queueDir: join(scratch, 'url-creds'),
    },
    {},
  );
  fromUrl.tuning = { ...fromUrl.tuning, ...FAST };
  const good = createWriter(fromUrl, { logger: log.logger });
  good.write([{ measurement: 'm', tags: {}, fields: { v: 2 }, time: 2n }]);
  await drained(good);
  await good.close();
  assert.equal(await influxd.count('secrets', 'm', 'v'), 1);

  const text = log.text();
  assert.ok(text.length > 0);
  for (const secret of [
    wrong,
    ADMIN.password,
    Buffer.from(`${ADMIN.user}:${wrong}`).toString('base64'),
    Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64'),
  ]) {
    assert.ok(!text.includes(secret), `log text contains ${secret}`);
  }
});
