import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SessionCookies } from '../../../../src/ingest/http/index.js';

describe('web session cookies', () => {
  it('keeps name=value pairs and sends them back as one Cookie header', () => {
    const c = new SessionCookies();
    assert.equal(c.header(), undefined);
    c.take(['SESSION=abc123; Path=/; HttpOnly', 'lang=en; Path=/; SameSite=Strict']);
    assert.equal(c.header(), 'SESSION=abc123; lang=en');
    c.take(['SESSION=def456; Path=/']);
    assert.equal(c.header(), 'SESSION=def456; lang=en', 'a new value replaces the old');
  });

  it('drops a cookie the device deletes with Max-Age=0 or an Expires in the past', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const c = new SessionCookies();
    c.take(['a=1', 'b=2', 'c=3'], now);
    c.take(
      ['a=; Max-Age=0', 'b=gone; Expires=Thu, 01 Jan 1970 00:00:00 GMT', 'c=4; Expires=Fri, 01 Jan 2027 00:00:00 GMT'],
      now,
    );
    assert.equal(c.header(), 'c=4');
    assert.equal(c.size, 1);
  });

  it('ignores headers without a name', () => {
    const c = new SessionCookies();
    c.take(['=nameless', 'garbage', '']);
    assert.equal(c.header(), undefined);
  });
});
