import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, validatePollConfig, type ValidateOptions } from '../../../../src/ingest/config/index.js';

const opts: ValidateOptions = { env: {}, readFile: () => '', baseDir: '/etc/kudf', homeDir: '/home/u' };

function issuesOf(raw: unknown): string[] {
  try {
    validatePollConfig(raw, opts);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected a ConfigError');
}

const base = { name: 'r1', address: '192.0.2.1', user: 'admin', auth: { password: 'pw' } };

describe('router transports in the poll config', () => {
  it('defaults to SSH on port 22', () => {
    const r = validatePollConfig({ routers: [{ ...base, command: 'x' }] }, opts).routers[0];
    assert.equal(r?.transport, 'ssh');
    assert.equal(r?.port, 22);
  });

  it('gives telnet port 23, the default login prompts and a 2 s wake-up', () => {
    const r = validatePollConfig({ routers: [{ ...base, command: 'wan adsl status', transport: 'telnet' }] }, opts)
      .routers[0];
    assert.equal(r?.transport, 'telnet');
    assert.equal(r?.port, 23);
    assert.equal(r?.telnet.wakeMs, 2000);
    for (const p of ['Account:', 'Username: ', 'login:', 'User Name :'])
      assert.match(p, r?.telnet.loginPrompt ?? /$^/, p);
    assert.match('Password: ', r?.telnet.passwordPrompt ?? /$^/);
    assert.match('Login incorrect', r?.telnet.loginFailed ?? /$^/);
  });

  it('gives TR-064 port 49000 (49443 with https), the tr064 parser and the default actions', () => {
    const plain = validatePollConfig({ routers: [{ ...base, transport: 'tr064' }] }, opts).routers[0];
    assert.equal(plain?.port, 49000);
    assert.equal(plain?.parser, 'tr064');
    assert.equal(plain?.command, 'GetInfo, GetStatisticsTotal, X_AVM-DE_GetDSLInfo');
    assert.deepEqual(plain?.tr064, {
      https: false,
      insecureSkipVerify: false,
      caFile: undefined,
      controlUrl: '/upnp/control/wandslifconfig1',
      service: 'urn:dslforum-org:service:WANDSLInterfaceConfig:1',
    });
    const tls = validatePollConfig(
      { routers: [{ ...base, transport: 'tr064', tr064: { https: true, caFile: 'fritz.pem' } }] },
      opts,
    ).routers[0];
    assert.equal(tls?.port, 49443);
    assert.equal(tls?.tr064.caFile, '/etc/kudf/fritz.pem', 'relative to the config file');
    assert.equal(tls?.tr064.insecureSkipVerify, false, 'verification stays on unless turned off');
  });

  it('names each bad transport setting by its key', () => {
    const issues = issuesOf({
      routers: [
        { ...base, command: 'x', transport: 'carrier-pigeon' },
        {
          ...base,
          name: 'r2',
          command: 'x',
          transport: 'telnet',
          auth: { privateKey: 'k' },
          telnet: { wakeAfter: 'soon', bogus: 1 },
        },
        { ...base, name: 'r3', transport: 'tr064', tr064: { insecureSkipVerify: 'yes', controlUrl: 'upnp' } },
        { ...base, name: 'r4', transport: 'tr064', tr064: { caFile: 'x.pem' } },
      ],
    });
    const has = (re: RegExp): void =>
      assert.ok(
        issues.some((i) => re.test(i)),
        `${re} in ${issues.join(' | ')}`,
      );
    has(/^routers\[0\]\.transport: must be one of "ssh", "telnet", "tr064"/);
    has(/^routers\[1\]\.auth: telnet logs in with a password/);
    has(/^routers\[1\]\.telnet\.wakeAfter: /);
    has(/^routers\[1\]\.telnet\.bogus: /);
    has(/^routers\[2\]\.tr064\.insecureSkipVerify: must be true or false/);
    has(/^routers\[3\]\.tr064\.caFile: insecureSkipVerify and caFile apply to https only/);
  });
});
