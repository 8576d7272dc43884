import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxSettingsError, resolveInfluxSettings } from '../../../../src/ingest/writer/index.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kudf-settings-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function settingsError(code: string, key: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof InfluxSettingsError, `expected InfluxSettingsError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.key, key);
    assert.ok(err.message.includes(key), 'the message names the key');
    return true;
  };
}

test('with nothing configured the points go to stdout', () => {
  const s = resolveInfluxSettings({}, {});
  assert.deepEqual(s.target, { kind: 'stdout' });
  assert.equal(s.tuning.tlsRejectUnauthorized, true);
});

test('INFLUX_* variables select the v2 API', () => {
  const s = resolveInfluxSettings(
    {},
    { INFLUX_URL: 'http://db:8086/', INFLUX_TOKEN: 'tok', INFLUX_ORG: 'o', INFLUX_BUCKET: 'telegraf/autogen' },
  );
  assert.deepEqual(s.target, { kind: 'v2', url: 'http://db:8086', token: 'tok', org: 'o', bucket: 'telegraf/autogen' });
});

test('INFLUXDB_* variables select the v1 API and build the URL from host and port', () => {
  const s = resolveInfluxSettings(
    {},
    {
      INFLUXDB_HOST: 'db',
      INFLUXDB_PORT: '8087',
      INFLUXDB_DATABASE: 'dsl',
      INFLUXDB_USERNAME: 'u',
      INFLUXDB_PASSWORD: 'p4ss',
    },
  );
  assert.deepEqual(s.target, {
    kind: 'v1',
    url: 'http://db:8087',
    database: 'dsl',
    retentionPolicy: undefined,
    username: 'u',
    password: 'p4ss',
    createDatabase: false,
  });
});

test('a *_FILE variable is read and trimmed, and the plain variable wins when both are set', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'pw'), '  from-file\n');
  const env = { INFLUXDB_HOST: 'db', INFLUXDB_DATABASE: 'dsl', INFLUXDB_PASSWORD_FILE: join(dir, 'pw') };
  const fromFile = resolveInfluxSettings({}, env);
  assert.equal(fromFile.target.kind === 'v1' ? fromFile.target.password : '', 'from-file');
  const both = resolveInfluxSettings({}, { ...env, INFLUXDB_PASSWORD: 'plain' });
  assert.equal(both.target.kind === 'v1' ? both.target.password : '', 'plain');
});

test('an unreadable *_FILE is an error naming that variable', () => {
  assert.throws(
    () =>
      resolveInfluxSettings(
        {},
        { INFLUX_URL: 'http://x', INFLUX_BUCKET: 'b', INFLUX_TOKEN_FILE: '/nonexistent/token' },
      ),
    settingsError('KUDF_INFLUX_SETTING_UNREADABLE', 'INFLUX_TOKEN_FILE'),
  );
});

test('a .env file fills in what the environment lacks, and the environment wins over it', (t) => {
  const dir = tempDir(t);
  const path = join(dir, '.env');
  writeFileSync(path, 'INFLUX_URL=http://from-dotenv:8086\nINFLUX_BUCKET=b\n# comment\nINFLUX_TOKEN="quoted token"\n');
  const a = resolveInfluxSettings({}, {}, path);
  assert.equal(a.target.kind === 'v2' ? a.target.url : '', 'http://from-dotenv:8086');
  assert.equal(a.target.kind === 'v2' ? a.target.token : '', 'quoted token');
  const b = resolveInfluxSettings({}, { INFLUX_URL: 'http://from-env:8086' }, path);
  assert.equal(b.target.kind === 'v2' ? b.target.url : '', 'http://from-env:8086');
});

test('flags win over the environment', () => {
  const s = resolveInfluxSettings(
    {
      influxUrl: 'http://flag:1',
      influxBucket: 'fb',
      influxBatchSize: '10',
      influxFlushInterval: '50',
      influxGzip: false,
    },
    { INFLUX_URL: 'http://env:2', INFLUX_BUCKET: 'eb' },
  );
  assert.equal(s.target.kind === 'v2' ? `${s.target.url} ${s.target.bucket}` : '', 'http://flag:1 fb');
  assert.equal(s.tuning.batchSize, 10);
  assert.equal(s.tuning.flushIntervalMs, 50);
  assert.equal(s.tuning.gzip, false);
});

test('credentials inside a v1 URL are lifted out of the URL', () => {
  const s = resolveInfluxSettings({ influxUrl: 'http://admin:s3cret@db:8086', influxDb: 'dsl' }, {});
  assert.equal(s.target.kind, 'v1');
  if (s.target.kind !== 'v1') return;
  assert.equal(s.target.url, 'http://db:8086');
  assert.equal(s.target.username, 'admin');
  assert.equal(s.target.password, 's3cret');
});

test('a bad number is an error naming the flag', () => {
  assert.throws(
    () => resolveInfluxSettings({ influxBatchSize: '0' }, {}),
    settingsError('KUDF_INFLUX_SETTING_INVALID', '--influx-batch-size'),
  );
  assert.throws(
    () => resolveInfluxSettings({}, { INFLUXDB_HOST: 'h', INFLUXDB_PORT: 'x', INFLUXDB_DATABASE: 'd' }),
    settingsError('KUDF_INFLUX_SETTING_INVALID', 'INFLUXDB_PORT'),
  );
});

test('a URL without bucket or database is an error naming INFLUX_BUCKET', () => {
  assert.throws(
    () => resolveInfluxSettings({}, { INFLUX_URL: 'http://x:8086' }),
    settingsError('KUDF_INFLUX_SETTING_MISSING', 'INFLUX_BUCKET'),
  );
});

test('a bucket and a database together need --influx-api', () => {
  const env = { INFLUX_URL: 'http://x:8086', INFLUX_BUCKET: 'b', INFLUXDB_DATABASE: 'd' };
  assert.throws(() => resolveInfluxSettings({}, env), settingsError('KUDF_INFLUX_SETTING_CONFLICT', '--influx-api'));
  assert.equal(resolveInfluxSettings({ influxApi: 'v1' }, env).target.kind, 'v1');
});

test('a v2 target without a URL is an error naming INFLUX_URL', () => {
  assert.throws(
    () => resolveInfluxSettings({}, { INFLUX_BUCKET: 'b' }),
    settingsError('KUDF_INFLUX_SETTING_MISSING', 'INFLUX_URL'),
  );
});

test('a non-http URL is an error naming where it came from in .env', (t) => {
  const dir = tempDir(t);
  const path = join(dir, '.env');
  writeFileSync(path, 'INFLUX_URL=ftp://x\nINFLUX_BUCKET=b\n');
  assert.throws(
    () => resolveInfluxSettings({}, {}, path),
    settingsError('KUDF_INFLUX_SETTING_INVALID', '.env:INFLUX_URL'),
  );
});

test('secret values are not quoted in errors', () => {
  try {
    resolveInfluxSettings({ influxInsecureSkipVerify: 'hunter22' }, {});
    assert.fail('expected an error');
  } catch (err) {
    assert.ok(err instanceof InfluxSettingsError);
    assert.equal(err.key, '--influx-insecure-skip-verify');
  }
  const dir = mkdtempSync(join(tmpdir(), 'kudf-settings-'));
  try {
    writeFileSync(join(dir, 'pw'), '\n');
    assert.throws(
      () =>
        resolveInfluxSettings(
          {},
          { INFLUXDB_HOST: 'h', INFLUXDB_DATABASE: 'd', INFLUXDB_PASSWORD_FILE: join(dir, 'pw') },
        ),
      settingsError('KUDF_INFLUX_SETTING_INVALID', 'INFLUXDB_PASSWORD_FILE'),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the default queue directory comes from KUDF_QUEUE_DIR, else XDG_STATE_HOME, else the home directory, never the working directory', async () => {
  const { defaultQueueDir } = await import('../../../../src/ingest/writer/index.js');
  assert.equal(defaultQueueDir({ KUDF_QUEUE_DIR: '/var/lib/kudf/q' }), '/var/lib/kudf/q');
  assert.equal(defaultQueueDir({ XDG_STATE_HOME: '/state' }), '/state/kudf/queue');
  assert.match(defaultQueueDir({}), /\/\.local\/state\/kudf\/queue$/);
});

test('durations take units, and a bare number stays milliseconds', () => {
  const s = resolveInfluxSettings(
    { influxTimeout: '10s', influxFlushInterval: '250', retryMinDelay: '1m30s', retryMaxDelay: 120_000 },
    {},
  );
  assert.equal(s.tuning.timeoutMs, 10_000);
  assert.equal(s.tuning.flushIntervalMs, 250);
  assert.equal(s.tuning.retryMinDelayMs, 90_000);
  assert.equal(s.tuning.retryMaxDelayMs, 120_000);
  assert.throws(
    () => resolveInfluxSettings({ influxTimeout: '10x' }, {}),
    (err: unknown) =>
      settingsError('KUDF_INFLUX_SETTING_INVALID', '--influx-timeout')(err) &&
      /a duration such as 500ms, 10s/.test((err as Error).message),
  );
  assert.throws(() => resolveInfluxSettings({ retryAfterMax: '0s' }, {}), /must be at least 1ms/);
});

test('sizes take binary and SI units', () => {
  const s = resolveInfluxSettings({ queueMaxBytes: '64MiB', deadLetterMaxBytes: '1MB' }, {});
  assert.equal(s.tuning.queueMaxBytes, 64 * 1024 * 1024);
  assert.equal(s.tuning.deadLetterMaxBytes, 1_000_000);
  assert.throws(
    () => resolveInfluxSettings({ queueMaxBytes: '64M' }, {}),
    settingsError('KUDF_INFLUX_SETTING_INVALID', '--queue-max-bytes'),
  );
});

test('durations and sizes may come from KUDF_* variables, below the flags', () => {
  const env = { KUDF_INFLUX_TIMEOUT: '3s', KUDF_QUEUE_MAX_BYTES: '1GiB', KUDF_RETRY_MAX_DELAY: '5m' };
  const s = resolveInfluxSettings({}, env);
  assert.equal(s.tuning.timeoutMs, 3000);
  assert.equal(s.tuning.queueMaxBytes, 1024 ** 3);
  assert.equal(s.tuning.retryMaxDelayMs, 300_000);
  assert.equal(resolveInfluxSettings({ influxTimeout: '4s' }, env).tuning.timeoutMs, 4000);
  assert.throws(
    () => resolveInfluxSettings({}, { KUDF_INFLUX_FLUSH_INTERVAL: 'soon' }),
    settingsError('KUDF_INFLUX_SETTING_INVALID', 'KUDF_INFLUX_FLUSH_INTERVAL'),
  );
});

test('the influx section of a config file ranks between the flags and the environment, and errors name the file and key', () => {
  const config = {
    file: 'poll.yaml',
    influx: { timeout: '10s', db: 'dsl', url: 'http://h:8086', queueMaxBytes: 4096 },
  };
  const s = resolveInfluxSettings({}, { KUDF_INFLUX_TIMEOUT: '3s', INFLUXDB_DATABASE: 'other' }, undefined, config);
  assert.equal(s.tuning.timeoutMs, 10_000);
  assert.equal(s.tuning.queueMaxBytes, 4096);
  assert.equal(s.target.kind === 'v1' && s.target.database, 'dsl');
  assert.equal(resolveInfluxSettings({ influxTimeout: '2s' }, {}, undefined, config).tuning.timeoutMs, 2000);
  // A bare number under `influx:` is milliseconds, as on the flag of the same name.
  assert.equal(
    resolveInfluxSettings({}, {}, undefined, { file: 'p.yaml', influx: { flushInterval: 500 } }).tuning.flushIntervalMs,
    500,
  );
  assert.throws(
    () => resolveInfluxSettings({}, {}, undefined, { file: 'poll.yaml', influx: { timeout: 'ten' } }),
    settingsError('KUDF_INFLUX_SETTING_INVALID', 'poll.yaml: influx.timeout'),
  );
  assert.throws(
    () => resolveInfluxSettings({}, {}, undefined, { file: 'poll.yaml', influx: { deadLetterMaxBytes: '1KB' } }),
    settingsError('KUDF_INFLUX_SETTING_INVALID', 'poll.yaml: influx.deadLetterMaxBytes'),
  );
  const q = resolveInfluxSettings({}, {}, undefined, { file: 'poll.yaml', queueDir: '/var/q' });
  assert.equal(q.queueDir, '/var/q');
});
