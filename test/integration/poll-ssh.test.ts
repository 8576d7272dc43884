import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startSshd,
  type SshdHandle,
  makeHostKey,
  fixtureParser,
  captureLogger,
  pollerOn,
  routerConfig,
} from '../helpers/index.js';
import type { RouterConfig } from '../../src/ingest/config/index.js';
import { SshSession } from '../../src/ingest/ssh/index.js';
import { TransportError } from '../../src/ingest/transport/index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fixtures = join(repo, 'test', 'fixtures', 'adsl');
const FIXTURE_CMD = 'cat test/fixtures/adsl/broadcom-xdslctl-info-stats-1.txt';
const parse = fixtureParser(fixtures);

function routerFor(s: SshdHandle, over: Record<string, unknown> = {}): RouterConfig {
  return routerConfig({
    name: 'dsl-a',
    address: '127.0.0.1',
    port: s.port,
    user: s.user,
    command: FIXTURE_CMD,
    auth: { privateKey: s.clientKey },
    hostKey: { fingerprint: s.hostFingerprint },
    tags: { site: 'lab' },
    timeout: 10,
    connectTimeout: 10,
    ...over,
  });
}

const pollerFor = (router: RouterConfig, log = captureLogger('debug')) =>
  pollerOn(router, (r, logger) => new SshSession({ router: r, logger }), parse, log);

describe('polling a real sshd', () => {
  let s: SshdHandle;
  before(async () => {
    s = await startSshd({ root: repo });
  });
  after(async () => {
    await s?.stop();
  });

  it('writes adsl_connection, adsl_line and adsl_poll from the status command output', async () => {
    const { poller, session, written } = pollerFor(routerFor(s));
    try {
      const res = await poller.poll();
      assert.equal(res.success, true, res.errorClass);
      const pts = written[0] ?? [];
      assert.deepEqual(
        pts.map((p) => p.measurement),
        ['adsl_connection', 'adsl_line', 'adsl_poll'],
      );
      assert.deepEqual(pts[0]?.fields, { value: 'Showtime', state_class: 'showtime', line_up: true });
      assert.deepEqual(pts[0]?.tags, { site: 'lab', host: 'dsl-a' });
      assert.equal(pts[1]?.fields.sync_rate_down_kbps, 31829n);
      assert.equal(pts[1]?.fields.snr_margin_down_db, 6.9);
      assert.equal(pts[2]?.fields.success, true);
      assert.equal(pts[2]?.fields.error_class, 'none');
      assert.equal(typeof pts[2]?.time, 'bigint');
      assert.ok(pts.every((p) => p.time === pts[0]?.time));
    } finally {
      session.close();
    }
  });

  it('runs repeated polls over one SSH connection', async () => {
    const before = s.connections();
    const n0 = s.commands().length;
    const { poller, session } = pollerFor(routerFor(s));
    try {
      for (let i = 0; i < 4; i += 1) assert.equal((await poller.poll()).success, true);
      assert.equal(s.commands().length - n0, 4);
      assert.equal(s.connections() - before, 1);
      assert.equal(session.connectionsOpened, 1);
    } finally {
      session.close();
    }
  });

  it('opens a new connection after the router drops the old one', async () => {
    const before = s.connections();
    const router = routerFor(s);
    const session = new SshSession({ router, logger: captureLogger('info').logger });
    try {
      assert.match(await session.run(FIXTURE_CMD, 10_000), /Status: Showtime/);
      await assert.rejects(
        session.run('drop', 10_000),
        (e: unknown) => e instanceof TransportError && e.errorClass === 'connect',
      );
      assert.match(await session.run(FIXTURE_CMD, 10_000), /Status: Showtime/);
      assert.equal(s.connections() - before, 2);
    } finally {
      session.close();
    }
  });

  it('refuses a host key that differs from the known_hosts entry, naming router and fingerprint', async () => {
    const kh = join(s.dir, 'known_hosts_wrong');
    writeFileSync(kh, `[127.0.0.1]:${s.port} ${makeHostKey().publicKey}\n`);
    const n0 = s.commands().length;
    const { poller, session, written, log } = pollerFor(routerFor(s, { hostKey: { knownHosts: kh } }));
    try {
      const res = await poller.poll();
      assert.equal(res.errorClass, 'hostkey');
      assert.deepEqual(
        written[0]?.map((p) => [p.measurement, p.fields.success, p.fields.error_class]),
        [['adsl_poll', false, 'hostkey']],
      );
      assert.match(log.text(), /router dsl-a/);
      assert.ok(log.text().includes(s.hostFingerprint));
      assert.match(log.text(), /HOST KEY CHANGED/);
      assert.equal(s.commands().length, n0);
    } finally {
      session.close();
    }
  });

  it('accepts the host key from known_hosts, in plain and in hashed form', async () => {
    const name = `[127.0.0.1]:${s.port}`;
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
    for (const line of [`${name} ${s.hostPublicKey}`, `${hashed} ${s.hostPublicKey}`]) {
      const kh = join(s.dir, 'known_hosts_ok');
      writeFileSync(kh, `# test\n${line}\n`);
      const { poller, session } = pollerFor(routerFor(s, { hostKey: { knownHosts: kh } }));
      try {
        assert.equal((await poller.poll()).success, true, line);
      } finally {
        session.close();
      }
    }
  });

  it('refuses a host key whose fingerprint differs from the pinned one', async () => {
    const { poller, session, log } = pollerFor(routerFor(s, { hostKey: { fingerprint: makeHostKey().fingerprint } }));
    try {
      assert.equal((await poller.poll()).errorClass, 'hostkey');
      assert.match(log.text(), /does not match the pinned fingerprint/);
    } finally {
      session.close();
    }
  });

  it('accepts any host key only with acceptAny, and logs a warning saying so', async () => {
    const { poller, session, log } = pollerFor(routerFor(s, { hostKey: { acceptAny: true } }));
    try {
      assert.equal((await poller.poll()).success, true);
      const warn = log.lines().find((l) => l.level === 40 && String(l.msg).includes('acceptAny'));
      assert.ok(warn !== undefined, log.text());
      assert.equal(warn.fingerprint, s.hostFingerprint);
    } finally {
      session.close();
    }
  });

  it('classifies a rejected key as auth, a failing command as command, and unknown output as parse', async () => {
    const other = makeHostKey();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ auth: { privateKey: other.privateKey } }, 'auth'],
      [{ command: 'fail' }, 'command'],
      [{ command: 'cat test/fixtures/adsl/README.md' }, 'parse'],
    ];
    for (const [over, cls] of cases) {
      const { poller, session, written } = pollerFor(routerFor(s, over));
      try {
        const res = await poller.poll();
        assert.equal(res.errorClass, cls);
        const last = written[0]?.at(-1);
        assert.equal(last?.measurement, 'adsl_poll');
        assert.equal(last?.fields.success, false);
        assert.equal(last?.fields.error_class, cls);
        assert.equal(written[0]?.length, 1, 'no made-up connection or line point');
      } finally {
        session.close();
      }
    }
    assert.equal(pollerFor(routerFor(s)).poller.stats.parseFailures, 0);
  });
});
