import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  startFakeRouter,
  makeHostKey,
  type FakeRouter,
  type FakeRouterOptions,
  fixtureParser,
  captureLogger,
  pollerOn,
  routerConfig,
} from '../helpers/index.js';
import type { RouterConfig } from '../../src/ingest/config/index.js';
import { SshSession } from '../../src/ingest/ssh/index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fixtures = join(repo, 'test', 'fixtures', 'adsl');
const FIXTURE = readFileSync(join(fixtures, 'broadcom-xdslctl-info-stats-1.txt'), 'utf8');
const PASSWORD = 'S3cr3t-Router-Pw-81f2';
const parse = fixtureParser(fixtures);

async function withRouter(opts: Partial<FakeRouterOptions>, body: (r: FakeRouter) => Promise<void>): Promise<void> {
  const r = await startFakeRouter({
    password: PASSWORD,
    answer: (cmd) => (cmd === 'xdslctl info --stats' ? FIXTURE : `unknown: ${cmd}`),
    ...opts,
  });
  try {
    await body(r);
  } finally {
    await r.close();
  }
}

function routerFor(fr: FakeRouter, over: Record<string, unknown> = {}): RouterConfig {
  return routerConfig(
    {
      name: 'dsl-shell',
      address: '127.0.0.1',
      port: fr.port,
      user: 'admin',
      command: 'xdslctl info --stats',
      auth: { passwordEnv: 'ROUTER_PW' },
      hostKey: { fingerprint: fr.hostFingerprint },
      mode: 'shell',
      timeout: 10,
      connectTimeout: 10,
      shell: { prompt: '^router> ?$' },
      ...over,
    },
    { ROUTER_PW: PASSWORD },
  );
}

const pollerFor = (router: RouterConfig, log = captureLogger('debug')) =>
  pollerOn(router, (r, logger) => new SshSession({ router: r, logger }), parse, log);

describe('shell mode against a scripted router CLI', () => {
  it('answers every --More-- with a space and parses the whole paged output', async () => {
    await withRouter({ banner: 'Welcome to DSL-G225\nUnauthorized access prohibited\n', pageLines: 7 }, async (fr) => {
      const { poller, session, written } = pollerFor(routerFor(fr));
      try {
        const res = await poller.poll();
        assert.equal(res.success, true, res.errorClass);
        const pages = Math.ceil(FIXTURE.trimEnd().split('\n').length / 7);
        assert.equal(fr.pagerAnswers, pages - 1);
        const line = written[0]?.find((p) => p.measurement === 'adsl_line');
        assert.equal(line?.fields.uptime_s, 175147n, 'a value from the last page');
        assert.equal(line?.fields.sync_rate_down_kbps, 31829n, 'a value from the first page');
      } finally {
        session.close();
      }
    });
  });

  it('sends setup commands once and reuses the shell channel for later polls', async () => {
    await withRouter({ pageLines: 5 }, async (fr) => {
      const { poller, session } = pollerFor(
        routerFor(fr, { shell: { prompt: '^router> ?$', setup: ['terminal length 0'] } }),
      );
      try {
        for (let i = 0; i < 3; i += 1) assert.equal((await poller.poll()).success, true);
        assert.deepEqual(fr.commands, [
          'terminal length 0',
          'xdslctl info --stats',
          'xdslctl info --stats',
          'xdslctl info --stats',
        ]);
        assert.equal(fr.pagerAnswers, 0, 'terminal length 0 turned the pager off');
        assert.equal(fr.logins, 1);
      } finally {
        session.close();
      }
    });
  });

  it('logs in again after the router drops the connection', async () => {
    await withRouter({}, async (fr) => {
      const { poller, session } = pollerFor(routerFor(fr));
      try {
        assert.equal((await poller.poll()).success, true);
        fr.dropAll();
        // Wait for the client to see the close, as it would between two polls a minute apart.
        for (let i = 0; i < 200 && session.connected; i += 1) await new Promise((r) => setTimeout(r, 10));
        assert.equal(session.connected, false);
        assert.equal((await poller.poll()).success, true);
        assert.equal(fr.logins, 2);
      } finally {
        session.close();
      }
    });
  });

  it('keeps the password out of every log line, even at trace level with ssh2 debug output', async () => {
    await withRouter({ pageLines: 10 }, async (fr) => {
      const log = captureLogger('trace');
      const router = routerFor(fr);
      const { poller, session } = pollerFor(router, log);
      try {
        assert.equal((await poller.poll()).success, true);
        log.logger.info({ router }, 'config as loaded');
        const wrong = pollerFor(routerFor(fr, { auth: { password: `${PASSWORD}-wrong` } }), log);
        assert.equal((await wrong.poller.poll()).errorClass, 'auth');
        wrong.session.close();
      } finally {
        session.close();
      }
      const text = log.text();
      assert.ok(
        log.lines().some((l) => l.ssh2 === true),
        'ssh2 debug output reached pino at trace level',
      );
      assert.ok(!text.includes(PASSWORD), 'password found in logs');
    });
  });
});

describe('exec mode against a simulated router', () => {
  it('reconnects transparently to a router that allows one exec channel per connection', async () => {
    await withRouter({ oneExecPerConnection: true }, async (fr) => {
      const { poller, session } = pollerFor(routerFor(fr, { mode: 'exec' }));
      try {
        assert.equal((await poller.poll()).success, true);
        assert.equal((await poller.poll()).success, true);
        assert.equal(fr.logins, 2);
      } finally {
        session.close();
      }
    });
  });

  it('reaches an old device only when legacy algorithms are enabled for it', async () => {
    const legacy = { kex: ['diffie-hellman-group14-sha1'], cipher: ['aes128-cbc'], hmac: ['hmac-sha1'] };
    await withRouter({ algorithms: legacy, hostKey: makeHostKey().privateKey }, async (fr) => {
      const modern = pollerFor(routerFor(fr, { mode: 'exec' }));
      try {
        assert.equal((await modern.poller.poll()).errorClass, 'connect');
      } finally {
        modern.session.close();
      }
      const old = pollerFor(routerFor(fr, { mode: 'exec', legacyAlgorithms: true }));
      try {
        assert.equal((await old.poller.poll()).success, true);
      } finally {
        old.session.close();
      }
    });
  });
});
