import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import auth from 'http-auth';
import { DigestAuth, parseDigestChallenge } from '../../../../src/ingest/tr064/index.js';

describe('HTTP digest client', () => {
  it('computes the RFC 2617 example response', () => {
    const d = new DigestAuth('Mufasa', 'Circle Of Life', () => '0a4f113b');
    assert.ok(
      d.accept(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
      ),
    );
    const h = d.header('GET', '/dir/index.html') ?? '';
    assert.match(h, /response="6629fae49393a05397450978507c4ef1"/);
    assert.match(h, /qop=auth, nc=00000001, cnonce="0a4f113b"/);
    assert.match(h, /opaque="5ccc069c403ebaf9f0171e9517f40e41"/);
    assert.match(d.header('GET', '/dir/index.html') ?? '', /nc=00000002/, 'the nonce count goes up per request');
  });

  it('parses quoted strings with commas and escapes, and refuses other schemes and unknown algorithms', () => {
    const c = parseDigestChallenge('Digest realm="a, \\"b\\"", nonce=abc, algorithm=SHA-256, stale=TRUE');
    assert.deepEqual(c, {
      realm: 'a, "b"',
      nonce: 'abc',
      qop: undefined,
      opaque: undefined,
      algorithm: 'SHA-256',
      stale: true,
    });
    assert.equal(parseDigestChallenge('Basic realm="x"'), undefined);
    assert.equal(parseDigestChallenge('Digest realm="x"'), undefined, 'no nonce');
    assert.equal(new DigestAuth('u', 'p').accept('Digest realm="x", nonce="n", algorithm=SHA-512-256'), false);
  });

  it('is accepted by an independent server implementation, also for a password with colons', async () => {
    const password = 'p:a:ss "w"';
    const realm = 'F!Box SOAP-Auth';
    const digest = auth.digest({ realm, qop: 'auth' }, (user: string, cb: (ha1?: string) => void) => {
      cb(user === 'dslf-config' ? createHash('md5').update(`${user}:${realm}:${password}`).digest('hex') : undefined);
    });
    const server = createServer(digest.check((_req, res) => res.end('ok')));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const get = (authorization?: string): Promise<IncomingMessage> =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/upnp/control/x',
            headers: authorization !== undefined ? { authorization } : {},
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res));
          },
        );
        req.on('error', reject);
        req.end();
      });
    try {
      const first = await get();
      assert.equal(first.statusCode, 401);
      const d = new DigestAuth('dslf-config', password);
      assert.ok(d.accept(String(first.headers['www-authenticate'])));
      assert.equal((await get(d.header('GET', '/upnp/control/x'))).statusCode, 200);
      assert.equal(
        (await get(d.header('GET', '/upnp/control/x'))).statusCode,
        200,
        'the challenge is reused with the next nonce count',
      );
      const wrong = new DigestAuth('dslf-config', 'p');
      assert.ok(wrong.accept(String(first.headers['www-authenticate'])));
      assert.equal((await get(wrong.header('GET', '/upnp/control/x'))).statusCode, 401);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
