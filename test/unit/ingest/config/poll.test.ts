import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  loadPollConfig,
  validatePollConfig,
  type ValidateOptions,
} from '../../../../src/ingest/config/index.js';

const FP = 'SHA256:RZSGceH1t45A1NnPURGxNzXHEYACEmq1/Wikj4CqNSo';

function opts(over: Partial<ValidateOptions> = {}): ValidateOptions {
  return {
    env: {},
    readFile: () => {
      throw Object.assign(new Error('no'), { code: 'ENOENT' });
    },
    baseDir: '/etc/kudf',
    homeDir: '/home/u',
    ...over,
  };
}

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, 'KUDF_POLL_CONFIG_INVALID');
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected a ConfigError');
}

const router = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: 'r1',
  address: '192.0.2.1',
  user: 'admin',
  command: 'xdslctl info --stats',
  auth: { password: 'pw' },
  hostKey: { fingerprint: FP },
  ...over,
});

describe('poll config', () => {
  it('fills defaults for a minimal router', () => {
    const c = validatePollConfig({ routers: [router()] }, opts());
    const r = c.routers[0];
    assert.ok(r !== undefined);
    assert.equal(r.port, 22);
    assert.equal(r.parser, 'auto');
    assert.equal(r.mode, 'exec');
    assert.equal(r.intervalMs, 60_000);
    assert.deepEqual(r.hostKey, { kind: 'fingerprint', fingerprints: [FP] });
    assert.equal(c.concurrency, 16);
  });

  it('applies defaults to every router and lets a router override them', () => {
    const c = validatePollConfig(
      {
        defaults: {
          user: 'admin',
          command: 'show dsl',
          interval: '5m',
          tags: { site: 'a', rack: '1' },
          auth: { password: 'x' },
          hostKey: { acceptAny: true },
        },
        routers: [
          { name: 'r1', address: 'h1' },
          { name: 'r2', address: 'h2', interval: 30, tags: { site: 'b' }, port: 2222 },
        ],
      },
      opts(),
    );
    assert.equal(c.routers[0]?.intervalMs, 300_000);
    assert.equal(c.routers[1]?.intervalMs, 30_000);
    assert.deepEqual(c.routers[1]?.tags, { site: 'b', rack: '1' });
    assert.equal(c.routers[1]?.port, 2222);
    assert.deepEqual(c.routers[0]?.hostKey, { kind: 'acceptAny' });
  });

  it('names the key of every problem, including nested ones', () => {
    const issues = issuesOf(() =>
      validatePollConfig(
        {
          concurrency: 0,
          routers: [
            router(),
            router({ name: 'r2', port: 'ssh' }),
            router({ name: 'r3', auth: { password: 5 }, mode: 'telnet', shell: { prompt: '(' } }),
            router({ name: 'r1', tags: { host: 'x' }, hostKey: { fingerprint: 'MD5:aa' } }),
          ],
        },
        opts(),
      ),
    );
    const text = issues.join('\n');
    assert.match(text, /^concurrency: must be between 1/m);
    assert.match(text, /^routers\[1\]\.port: must be an integer/m);
    assert.match(text, /^routers\[2\]\.auth\.password: must be a string/m);
    assert.match(text, /^routers\[2\]\.mode: must be "exec" or "shell"/m);
    assert.match(text, /^routers\[2\]\.shell\.prompt: is not a valid regular expression/m);
    assert.match(text, /^routers\[3\]\.name: duplicate router name "r1"/m);
    assert.match(text, /^routers\[3\]\.tags\.host: is reserved/m);
    assert.match(text, /^routers\[3\]\.hostKey\.fingerprint: must look like SHA256/m);
  });

  it('reads durations in the shared grammar, a bare number as seconds, and says what it accepts', () => {
    const c = validatePollConfig(
      {
        maxBackoff: '1h30m',
        shutdownTimeout: 2.5,
        routers: [router({ interval: '1m30s', timeout: '1500ms', connectTimeout: '20' })],
      },
      opts(),
    );
    assert.equal(c.maxBackoffMs, 5_400_000);
    assert.equal(c.shutdownTimeoutMs, 2500);
    assert.equal(c.routers[0]?.intervalMs, 90_000);
    assert.equal(c.routers[0]?.timeoutMs, 1500);
    assert.equal(c.routers[0]?.connectTimeoutMs, 20_000);
    const text = issuesOf(() =>
      validatePollConfig({ routers: [router({ interval: '10x', timeout: '50ms', connectTimeout: true })] }, opts()),
    ).join('\n');
    assert.match(
      text,
      /^routers\[0\]\.interval: expected a duration such as 500ms, 10s, 5m, 1h or 1m30s \(a bare number is seconds\), got "10x"/m,
    );
    assert.match(text, /^routers\[0\]\.timeout: must be at least 100ms, got "50ms"/m);
    assert.match(text, /^routers\[0\]\.connectTimeout: must be a duration such as/m);
  });

  it('reads secrets from the environment, from NAME_FILE, and from a file path, trimming the final newline', () => {
    const files: Record<string, string> = {
      '/run/secrets/pw': 'from-file\n',
      '/etc/kudf/keys/r3': 'KEY\n',
      '/run/secrets/pass': 'pp\n',
    };
    const c = validatePollConfig(
      {
        routers: [
          router({ auth: { passwordEnv: 'R1_PW' } }),
          router({ name: 'r2', auth: { passwordEnv: 'R2_PW' } }),
          router({ name: 'r3', auth: { privateKeyFile: 'keys/r3', passphraseFile: '/run/secrets/pass' } }),
        ],
      },
      opts({
        env: { R1_PW: 'from-env', R2_PW_FILE: '/run/secrets/pw' },
        readFile: (p) => {
          const v = files[p];
          if (v === undefined) throw Object.assign(new Error('no'), { code: 'ENOENT' });
          return v;
        },
      }),
    );
    assert.equal(c.routers[0]?.auth.password, 'from-env');
    assert.equal(c.routers[1]?.auth.password, 'from-file');
    assert.equal(c.routers[2]?.auth.privateKey, 'KEY\n');
    assert.equal(c.routers[2]?.auth.passphrase, 'pp');
  });

  it("names the router's own auth key when auth is given neither there nor under defaults", () => {
    const { auth: _auth, ...noAuth } = router();
    const issues = issuesOf(() => validatePollConfig({ routers: [router(), { ...noAuth, name: 'r2' }] }, opts()));
    assert.deepEqual(
      issues.filter((i) => i.includes('auth')),
      [
        'routers[1].auth: is required (here or under defaults): give password, passwordEnv, passwordFile, privateKey, privateKeyEnv or privateKeyFile',
      ],
    );
  });

  it('reports a missing secret by key and never prints a secret value', () => {
    const issues = issuesOf(() =>
      validatePollConfig(
        {
          routers: [
            router({ auth: { passwordEnv: 'NOPE' } }),
            router({ name: 'r2', auth: { password: 'hunter2', passwordFile: '/x' } }),
            router({ name: 'r3', auth: { passphrase: 'zz' } }),
          ],
        },
        opts(),
      ),
    );
    const text = issues.join('\n');
    assert.match(text, /^routers\[0\]\.auth\.passwordEnv: environment variable NOPE \(or NOPE_FILE\) is not set/m);
    assert.match(text, /^routers\[1\]\.auth\.password: give only one of password, passwordFile/m);
    assert.match(text, /^routers\[2\]\.auth\.passphrase: a passphrase needs a private key/m);
    assert.doesNotMatch(text, /hunter2|zz/);
  });

  it('accepts legacy algorithms as true or as lists, and rejects unknown names by key', () => {
    const c = validatePollConfig(
      {
        routers: [
          router({ legacyAlgorithms: true }),
          router({ name: 'r2', legacyAlgorithms: { kex: ['diffie-hellman-group1-sha1'], cipher: ['aes128-cbc'] } }),
        ],
      },
      opts(),
    );
    assert.ok(c.routers[0]?.legacyAlgorithms?.kex.includes('diffie-hellman-group14-sha1'));
    assert.ok(c.routers[0]?.legacyAlgorithms?.serverHostKey.includes('ssh-dss'));
    assert.deepEqual(c.routers[1]?.legacyAlgorithms?.cipher, ['aes128-cbc']);
    const issues = issuesOf(() =>
      validatePollConfig({ routers: [router({ legacyAlgorithms: { cipher: ['rot13'] } })] }, opts()),
    );
    assert.match(
      issues.join('\n'),
      /^routers\[0\]\.legacyAlgorithms\.cipher\[0\]: "rot13" is not a known legacy algorithm/m,
    );
  });

  it('verifies host keys against ~/.ssh/known_hosts unless told otherwise, and acceptAny must be literally true', () => {
    const c = validatePollConfig({ routers: [router({ hostKey: undefined })] }, opts());
    assert.deepEqual(c.routers[0]?.hostKey, { kind: 'knownHosts', file: '/home/u/.ssh/known_hosts' });
    const issues = issuesOf(() =>
      validatePollConfig(
        {
          routers: [
            router({ hostKey: { acceptAny: 'yes' } }),
            router({ name: 'r2', hostKey: { acceptAny: true, fingerprint: FP } }),
          ],
        },
        opts(),
      ),
    );
    assert.match(issues.join('\n'), /^routers\[0\]\.hostKey\.acceptAny: must be true/m);
    assert.match(issues.join('\n'), /^routers\[1\]\.hostKey: give exactly one of/m);
  });

  it('loads YAML and JSON files, and reports a YAML syntax error by position without quoting the line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kudf-config-'));
    try {
      writeFileSync(
        join(dir, 'a.yaml'),
        `routers:\n  - name: r1\n    address: 192.0.2.1\n    user: admin\n    command: show\n    auth: { password: pw }\n    hostKey: { knownHosts: ./kh }\n`,
      );
      const c = loadPollConfig(join(dir, 'a.yaml'), { env: {} });
      assert.deepEqual(c.routers[0]?.hostKey, { kind: 'knownHosts', file: join(dir, 'kh') });
      writeFileSync(join(dir, 'b.json'), JSON.stringify({ routers: [router()] }));
      assert.equal(loadPollConfig(join(dir, 'b.json'), { env: {} }).routers.length, 1);
      writeFileSync(join(dir, 'c.yaml'), 'routers:\n  - password: "s3cret\n  x: [\n');
      const issues = issuesOf(() => loadPollConfig(join(dir, 'c.yaml'), { env: {} }));
      assert.match(issues.join('\n'), /not valid YAML or JSON at line/);
      assert.doesNotMatch(issues.join('\n'), /s3cret/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
