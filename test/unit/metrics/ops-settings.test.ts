import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseHttpAddress } from '../../../src/metrics/index.js';
import { TaskStateFile, kapacitorCredentials, parseKapacitorUrl } from '../../../src/recovery/index.js';

describe('--http addresses', () => {
  it('a bare port listens on loopback only; a host or [IPv6] address is taken as given', () => {
    assert.deepEqual(parseHttpAddress('9464'), { host: '127.0.0.1', port: 9464 });
    assert.deepEqual(parseHttpAddress('0.0.0.0:9464'), { host: '0.0.0.0', port: 9464 });
    assert.deepEqual(parseHttpAddress('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseHttpAddress('localhost:80'), { host: 'localhost', port: 80 });
  });

  it('rejects what is not an address, with a coded error', () => {
    for (const bad of ['', 'x', '70000', ':9464', '::1:80', 'h:p']) {
      assert.throws(
        () => parseHttpAddress(bad),
        (e: unknown) => (e as { code?: string }).code === 'KUDF_METRICS_BAD_ADDRESS',
        bad,
      );
    }
  });
});

describe('--kapacitor-url and its credentials', () => {
  it('takes http(s) URLs and refuses credentials in the URL', () => {
    assert.equal(parseKapacitorUrl('http://kapacitor:9092').host, 'kapacitor:9092');
    for (const bad of ['kapacitor:9092', 'ftp://k', 'http://u:p@k:9092']) {
      assert.throws(
        () => parseKapacitorUrl(bad),
        (e: unknown) => (e as { code?: string }).code === 'KUDF_RECOVERY_BAD_URL',
        bad,
      );
    }
  });

  it('reads the user and password from the environment or their _FILE, and refuses half a pair', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kudf-cred-'));
    try {
      writeFileSync(join(dir, 'pw'), 's3cret\n');
      assert.equal(kapacitorCredentials({}), undefined);
      assert.deepEqual(kapacitorCredentials({ KAPACITOR_USERNAME: 'kudf', KAPACITOR_PASSWORD_FILE: join(dir, 'pw') }), {
        username: 'kudf',
        password: 's3cret',
      });
      assert.deepEqual(
        kapacitorCredentials({
          KAPACITOR_USERNAME: 'kudf',
          KAPACITOR_PASSWORD: 'plain',
          KAPACITOR_PASSWORD_FILE: join(dir, 'pw'),
        }),
        { username: 'kudf', password: 'plain' },
      );
      assert.throws(
        () => kapacitorCredentials({ KAPACITOR_USERNAME: 'kudf' }),
        (e: unknown) => (e as { code?: string }).code === 'KUDF_RECOVERY_CREDENTIALS',
      );
      assert.throws(
        () => kapacitorCredentials({ KAPACITOR_USERNAME: 'kudf', KAPACITOR_PASSWORD_FILE: join(dir, 'none') }),
        (e: unknown) => (e as { code?: string }).code === 'KUDF_RECOVERY_CREDENTIALS',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the task state file', () => {
  it('keeps task IDs and the tasks being restarted across instances, and refuses a damaged file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kudf-state-'));
    try {
      const a = new TaskStateFile(dir);
      assert.deepEqual(a.taskIDs, []);
      assert.equal(a.seen('t1', 'mirror'), true);
      assert.equal(a.seen('t1', 'movingAverage'), false);
      a.seen('t2', 'mirror');
      a.setRestarting('t2', true);
      const b = new TaskStateFile(dir);
      assert.deepEqual(b.taskIDs, ['t1', 't2']);
      assert.equal(b.isRestarting('t2'), true);
      assert.equal(b.isRestarting('t1'), false);
      b.forget('t2');
      assert.deepEqual(new TaskStateFile(dir).taskIDs, ['t1']);
      assert.deepEqual(
        (
          JSON.parse(readFileSync(join(dir, 'tasks.json'), 'utf8')) as {
            tasks: Record<string, { functions: string[] }>;
          }
        ).tasks['t1']?.functions,
        ['mirror', 'movingAverage'],
      );
      writeFileSync(join(dir, 'tasks.json'), '{ not json');
      assert.throws(
        () => new TaskStateFile(dir),
        (e: unknown) => (e as { code?: string }).code === 'KUDF_RECOVERY_STATE',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
