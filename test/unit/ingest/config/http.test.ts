import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ConfigError, validatePollConfig, type ValidateOptions } from '../../../../src/ingest/config/index.js';

const opts: ValidateOptions = {
  env: { ZYXEL_PW: 'z', HUB_PW: 'h' },
  readFile: () => 'pw',
  baseDir: '/etc/kudf',
  homeDir: '/home/u',
};

function issuesOf(raw: unknown): string[] {
  try {
    validatePollConfig(raw, opts);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected a ConfigError');
}

const base = {
  name: 'w1',
  address: '192.0.2.1',
  user: 'admin',
  auth: { password: 'Secret-Pw-1' },
  transport: 'http',
  parser: 'zyxel',
};

describe('http routers in the poll config', () => {
  it('resolves a path against the address, port 80 by default, with basic login and TLS verification on', () => {
    const r = validatePollConfig({ routers: [{ ...base, http: { url: '/status.html?line=0' } }] }, opts).routers[0];
    assert.equal(r?.transport, 'http');
    assert.equal(r?.port, 80);
    assert.deepEqual(r?.http, {
      url: 'http://192.0.2.1/status.html?line=0',
      login: 'basic',
      tlsVerify: true,
      caFile: undefined,
      form: undefined,
    });
    assert.equal(r?.command, 'http://192.0.2.1/status.html?line=0', 'logs name the page');
    const p = validatePollConfig({ routers: [{ ...base, port: 8080, http: { url: '/s' } }] }, opts).routers[0];
    assert.equal(p?.http?.url, 'http://192.0.2.1:8080/s');
  });

  it('takes an https URL with its port, tlsVerify: false, and a form login resolved on the same host', () => {
    const r = validatePollConfig(
      {
        routers: [
          {
            ...base,
            http: {
              url: 'https://192.0.2.1:8443/pages/x.html',
              tlsVerify: false,
              login: 'form',
              form: {
                url: '/login/login-page.cgi',
                userField: 'AuthName',
                passwordField: 'AuthPassword',
                fields: { lang: 'en' },
                loggedOut: 'login\\.html',
              },
            },
          },
        ],
      },
      opts,
    ).routers[0];
    assert.equal(r?.port, 8443);
    assert.equal(r?.http?.tlsVerify, false);
    assert.equal(r?.http?.form?.url, 'https://192.0.2.1:8443/login/login-page.cgi');
    assert.deepEqual(r?.http?.form?.fields, { lang: 'en' });
    assert.ok(r?.http?.form?.loggedOut?.test('top.location=/LOGIN.HTML'), 'matched regardless of case');
  });

  it('needs no user or password with login: none', () => {
    const r = validatePollConfig(
      {
        routers: [
          {
            name: 'hub',
            address: '192.168.1.254',
            transport: 'http',
            parser: 'bthub',
            http: { url: '/nonAuth/wan_conn.xml', login: 'none' },
          },
        ],
      },
      opts,
    ).routers[0];
    assert.equal(r?.http?.login, 'none');
    assert.deepEqual(r?.auth, {});
  });

  it('names each bad http setting by its key, without the password', () => {
    const issues = issuesOf({
      routers: [
        { ...base, http: {} },
        { ...base, name: 'w2', parser: undefined, http: { url: 'ftp://192.0.2.1/x' } },
        { ...base, name: 'w3', http: { url: 'http://admin:Secret-Pw-1@192.0.2.1/x' } },
        { ...base, name: 'w4', http: { url: '/x', login: 'ntlm' } },
        { ...base, name: 'w5', http: { url: '/x', tlsVerify: false } },
        { ...base, name: 'w6', http: { url: '/x', login: 'form' } },
        {
          ...base,
          name: 'w7',
          http: {
            url: '/x',
            login: 'form',
            form: { url: 'http://evil.example/login', userField: 'u', passwordField: 'p' },
          },
        },
        {
          ...base,
          name: 'w8',
          command: 'x',
          http: { url: '/x', form: { url: '/l', userField: 'u', passwordField: 'p' } },
        },
        { ...base, name: 'w9', port: 81, http: { url: 'http://192.0.2.1/x', bogus: 1 } },
        { ...base, name: 'w10', transport: 'ssh', command: 'x', hostKey: { acceptAny: true }, http: { url: '/x' } },
        { ...base, name: 'w11', auth: undefined, http: { url: '/x', login: 'digest' } },
      ],
    });
    const has = (re: RegExp): void =>
      assert.ok(
        issues.some((i) => re.test(i)),
        `${String(re)} in\n${issues.join('\n')}`,
      );
    has(/^routers\[0\]\.http\.url: is required/);
    has(/^routers\[1\]\.http\.url: must be an http:\/\/ or https:\/\/ URL/);
    has(/^routers\[1\]\.parser: an http router needs the page kind/);
    has(/^routers\[2\]\.http\.url: must not hold a user or password/);
    has(/^routers\[3\]\.http\.login: must be one of "none", "basic", "digest", "form"/);
    has(/^routers\[4\]\.http\.tlsVerify: tlsVerify and caFile apply to an https:\/\/ url only/);
    has(/^routers\[5\]\.http\.form: is required with login: form/);
    has(/^routers\[6\]\.http\.form\.url: must be on the same host/);
    has(/^routers\[7\]\.command: an http router fetches http\.url/);
    has(/^routers\[7\]\.http\.form: applies to login: form only/);
    has(/^routers\[8\]\.http\.url: the port is part of http\.url/);
    has(/^routers\[8\]\.http\.bogus: /);
    has(/^routers\[9\]\.http: applies to transport: http only/);
    has(/auth: is required/);
    assert.ok(!issues.join('\n').includes('Secret-Pw-1'), 'no message holds the password');
  });

  it('parses the http example of docs/ingest.md', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../../../docs/ingest.md', import.meta.url)), 'utf8');
    const block = /```yaml http-example\n([\s\S]*?)```/.exec(doc)?.[1];
    assert.ok(block, 'the http-example block');
    const cfg = validatePollConfig(parseYaml(block) as unknown, opts);
    assert.deepEqual(
      cfg.routers.map((r) => [r.name, r.http?.login, r.parser]),
      [
        ['zyxel', 'form', 'zyxel'],
        ['bthub', 'none', 'bthub'],
        ['modem', 'digest', 'auto'],
      ],
    );
  });
});
