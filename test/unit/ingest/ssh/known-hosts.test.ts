import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';
import { makeHostKey } from '../../../helpers/index.js';
import {
  checkKnownHosts,
  parseKnownHosts,
  sha256Fingerprint,
  verifyHostKey,
} from '../../../../src/ingest/ssh/index.js';

const a = makeHostKey();
const b = makeHostKey();
const blobA = Buffer.from(a.publicKey.split(' ')[1] ?? '', 'base64');

function hashed(name: string): string {
  const salt = randomBytes(20);
  const hash = createHmac('sha1', salt).update(name).digest();
  return `|1|${salt.toString('base64')}|${hash.toString('base64')}`;
}

describe('known_hosts checking', () => {
  it('computes the fingerprint exactly as the fake router (ssh-keygen style) does', () => {
    assert.equal(sha256Fingerprint(blobA), a.fingerprint);
  });

  it('accepts a plain entry for port 22 and a [host]:port entry for another port', () => {
    const entries = parseKnownHosts(`# comment\nrouter1,192.0.2.1 ${a.publicKey}\n[192.0.2.9]:2222 ${a.publicKey}\n`);
    assert.equal(checkKnownHosts(entries, '192.0.2.1', 22, blobA).status, 'match');
    assert.equal(checkKnownHosts(entries, '192.0.2.9', 2222, blobA).status, 'match');
    assert.equal(checkKnownHosts(entries, '192.0.2.9', 22, blobA).status, 'unknown');
  });

  it('matches hashed host names for both name forms', () => {
    const entries = parseKnownHosts(
      `${hashed('10.0.0.1')} ${a.publicKey}\n${hashed('[10.0.0.2]:2200')} ${a.publicKey}\n`,
    );
    assert.equal(checkKnownHosts(entries, '10.0.0.1', 22, blobA).status, 'match');
    assert.equal(checkKnownHosts(entries, '10.0.0.2', 2200, blobA).status, 'match');
    assert.equal(checkKnownHosts(entries, '10.0.0.3', 22, blobA).status, 'unknown');
  });

  it('reports a changed key when the file holds another key of the same type for the host', () => {
    const entries = parseKnownHosts(`10.0.0.1 ${b.publicKey}\n`);
    assert.deepEqual(checkKnownHosts(entries, '10.0.0.1', 22, blobA), { status: 'changed', line: 1 });
  });

  it('honours wildcards, negated patterns and @revoked lines', () => {
    const entries = parseKnownHosts(`10.0.0.*,!10.0.0.5 ${a.publicKey}\n`);
    assert.equal(checkKnownHosts(entries, '10.0.0.7', 22, blobA).status, 'match');
    assert.equal(checkKnownHosts(entries, '10.0.0.5', 22, blobA).status, 'unknown');
    const revoked = parseKnownHosts(`10.0.0.1 ${a.publicKey}\n@revoked * ${a.publicKey}\n`);
    assert.equal(checkKnownHosts(revoked, '10.0.0.1', 22, blobA).status, 'revoked');
  });

  it('skips corrupt lines instead of failing the whole file', () => {
    const entries = parseKnownHosts(
      `garbage\n10.0.0.1 ssh-rsa ${a.publicKey.split(' ')[1] ?? ''}\n10.0.0.1 ${a.publicKey}\n`,
    );
    assert.equal(entries.length, 1);
  });

  it('never lets an @cert-authority line vouch for a host key, and says so when only such a line names the host', () => {
    // The CA line carries the very key presented: honouring it as a plain entry would be a bypass.
    const onlyCa = parseKnownHosts(`# CA\n@cert-authority 10.0.0.* ${a.publicKey}\n`);
    assert.deepEqual(checkKnownHosts(onlyCa, '10.0.0.1', 22, blobA), { status: 'unknown', certAuthorityLine: 2 });
    assert.deepEqual(checkKnownHosts(onlyCa, '10.0.1.1', 22, blobA), { status: 'unknown' });
    const target = { router: 'dsl-9', address: '10.0.0.1', port: 22 };
    const refused = verifyHostKey(
      { kind: 'knownHosts', file: '/kh' },
      target,
      blobA,
      () => `@cert-authority 10.0.0.* ${a.publicKey}\n`,
    );
    assert.equal(refused.ok, false);
    assert.match(
      refused.ok ? '' : refused.message,
      /@cert-authority line \(\/kh line 1\).*not supported: add the router's own host key/,
    );
    // With the host's own line beside the CA line, the plain line decides as usual.
    const both = parseKnownHosts(`@cert-authority 10.0.0.* ${b.publicKey}\n10.0.0.1 ${a.publicKey}\n`);
    assert.equal(checkKnownHosts(both, '10.0.0.1', 22, blobA).status, 'match');
  });

  it('refuses with a message naming the router and the presented fingerprint', () => {
    const target = { router: 'dsl-7', address: '10.0.0.1', port: 22 };
    const changed = verifyHostKey(
      { kind: 'knownHosts', file: '/kh' },
      target,
      blobA,
      () => `10.0.0.1 ${b.publicKey}\n`,
    );
    assert.equal(changed.ok, false);
    assert.match(changed.ok ? '' : changed.message, /dsl-7/);
    assert.ok(!changed.ok && changed.message.includes(a.fingerprint));
    assert.match(changed.ok ? '' : changed.message, /CHANGED/);
    const pinned = verifyHostKey({ kind: 'fingerprint', fingerprints: [b.fingerprint] }, target, blobA, () => '');
    assert.equal(pinned.ok, false);
    const missing = verifyHostKey({ kind: 'knownHosts', file: '/nope' }, target, blobA, () => {
      throw Object.assign(new Error('x'), { code: 'ENOENT' });
    });
    assert.match(missing.ok ? '' : missing.message, /ENOENT/);
    assert.equal(
      verifyHostKey({ kind: 'fingerprint', fingerprints: [a.fingerprint] }, target, blobA, () => '').ok,
      true,
    );
  });

  it('gives the fake routers only host keys that ssh2 itself can parse (its generator sometimes drops leading zero bytes)', () => {
    // About 1 draw in 250 was malformed, so 2000 draws would almost surely catch a regression.
    for (let i = 0; i < 2000; i++) {
      const key = makeHostKey();
      assert.equal(Buffer.from(key.publicKey.split(' ')[1] ?? '', 'base64').length, 51, key.publicKey);
      assert.ok(!(ssh2.utils.parseKey(key.privateKey) instanceof Error), key.privateKey);
    }
  });
});
