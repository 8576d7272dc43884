/**
 * The telnet transport against Debian's telnetd on loopback, whose login program is the suite's
 * fake router: login prompts, pager, CR/LF from a real pty, one kept session, error classes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { statusParser } from '../../src/ingest/index.js';
import type { RouterConfig } from '../../src/ingest/config/index.js';
import { TelnetSession } from '../../src/ingest/telnet/index.js';
import type { TransportError } from '../../src/ingest/transport/index.js';
import {
  captureLogger,
  fixtureParser,
  type FakeCliConfig,
  freePort,
  REPO_ROOT,
  pollerOn,
  routerConfig,
  startTelnetd,
  type TelnetdHandle,
} from '../helpers/index.js';

const fixtures = join(REPO_ROOT, 'test', 'fixtures', 'adsl');
const FIXTURE = readFileSync(join(fixtures, 'broadcom-xdslctl-info-stats-1.txt'), 'utf8');
const PASSWORD = 'Tel-Net-Pw-5d31c9';
const parse = fixtureParser(fixtures);

async function withTelnetd(
  cli: Partial<Omit<FakeCliConfig, 'log'>>,
  body: (t: TelnetdHandle) => Promise<void>,
): Promise<void> {
  const t = await startTelnetd({
    loginPrompt: 'Account:',
    password: PASSWORD,
    prompt: 'DSL-G225> ',
    answers: { 'xdslctl info --stats': FIXTURE, hang: 'hang' },
    ...cli,
  });
  try {
    await body(t);
  } finally {
    await t.stop();
  }
}

function routerFor(port: number, over: Record<string, unknown> = {}, password = PASSWORD): RouterConfig {
  return routerConfig(
    {
      name: 'dsl-telnet',
      address: '127.0.0.1',
      port,
      user: 'admin',
      command: 'xdslctl info --stats',
      transport: 'telnet',
      auth: { passwordEnv: 'ROUTER_PW' },
      timeout: 10,
      connectTimeout: 10,
      shell: { prompt: '^DSL-G225> ?$' },
      ...over,
    },
    { ROUTER_PW: password },
  );
}

const pollerFor = (router: RouterConfig, log = captureLogger('trace')) =>
  pollerOn(router, (r, logger) => new TelnetSession({ router: r, logger }), parse, log);

describe('telnet transport against Debian telnetd', () => {
  it('logs in at Account:/Password:, pages through --More-- and keeps one session for every poll', async () => {
    await withTelnetd({ banner: 'D-Link DSL-G225\nLogin with your account\n', pageLines: 8 }, async (t) => {
      const { poller, session, written } = pollerFor(routerFor(t.port));
      try {
        for (let i = 0; i < 3; i += 1) {
          const res = await poller.poll();
          assert.equal(res.success, true, res.errorClass);
        }
        const line = written[2]?.find((p) => p.measurement === 'adsl_line');
        assert.equal(line?.fields.sync_rate_down_kbps, 31829n, 'a value from the first page');
        assert.equal(line?.fields.uptime_s, 175147n, 'a value from the last page');
        assert.equal(t.logins(), 1);
        assert.equal(t.connections, 1);
        assert.equal(session.connectionsOpened, 1);
        assert.deepEqual(t.commands(), ['xdslctl info --stats', 'xdslctl info --stats', 'xdslctl info --stats']);
        assert.ok(t.events().filter((e) => e.event === 'pager').length >= 3, 'the pager was answered on each poll');
      } finally {
        session.close();
      }
    });
  });

  it('answers Username: and login: prompts, and runs setup commands once per session', async () => {
    for (const loginPrompt of ['Username:', 'login:']) {
      await withTelnetd({ loginPrompt, pageLines: 5 }, async (t) => {
        const { poller, session } = pollerFor(
          routerFor(t.port, { shell: { prompt: '^DSL-G225> ?$', setup: ['terminal length 0'] } }),
        );
        try {
          assert.equal((await poller.poll()).success, true);
          assert.equal((await poller.poll()).success, true);
          assert.deepEqual(
            t.commands(),
            ['terminal length 0', 'xdslctl info --stats', 'xdslctl info --stats'],
            loginPrompt,
          );
          assert.equal(
            t.events().filter((e) => e.event === 'pager').length,
            0,
            'terminal length 0 turned the pager off',
          );
        } finally {
          session.close();
        }
      });
    }
  });

  it('wakes a modem that prints nothing until it gets input', async () => {
    await withTelnetd({ holdUntilInput: true }, async (t) => {
      const { poller, session } = pollerFor(routerFor(t.port, { telnet: { wakeAfter: '300ms' } }));
      try {
        const res = await poller.poll();
        assert.equal(res.success, true, res.errorClass);
        assert.equal(t.events().filter((e) => e.event === 'woken').length, 1);
      } finally {
        session.close();
      }
    });
  });

  it('reports a wrong password as auth and never logs or throws the password', async () => {
    await withTelnetd({}, async (t) => {
      const wrong = 'Wrong-Pw-77aa01';
      const { poller, session, log } = pollerFor(routerFor(t.port, {}, wrong));
      try {
        const res = await poller.poll();
        assert.equal(res.success, false);
        assert.equal(res.errorClass, 'auth');
        const poll = res.points.find((p) => p.measurement === 'adsl_poll');
        assert.equal(poll?.fields.error_class, 'auth');
        await assert.rejects(session.run('xdslctl info --stats', 5000), (err: TransportError) => {
          assert.equal(err.code, 'KUDF_TELNET_AUTH');
          assert.ok(!err.message.includes(wrong));
          return true;
        });
        assert.ok(t.events().some((e) => e.event === 'badpassword'));
        assert.ok(!log.text().includes(wrong), 'the password is not in the log');
        assert.ok(!log.text().includes(PASSWORD));
      } finally {
        session.close();
      }
    });
  });

  it('logs in again after the device dropped the session, and says nothing of the password at trace level', async () => {
    await withTelnetd({}, async (t) => {
      const { poller, session, log } = pollerFor(routerFor(t.port));
      try {
        assert.equal((await poller.poll()).success, true);
        t.dropAll();
        await new Promise((r) => setTimeout(r, 200));
        const res = await poller.poll();
        assert.equal(res.success, true, res.errorClass);
        assert.equal(t.logins(), 2);
        assert.ok(log.text().length > 0, 'something was logged at trace level');
        assert.ok(!log.text().includes(PASSWORD), 'the password is not in the log');
      } finally {
        session.close();
      }
    });
  });

  it('classifies a command that never ends as timeout, and a closed port as connect', async () => {
    await withTelnetd({}, async (t) => {
      const { poller, session } = pollerFor(routerFor(t.port, { command: 'hang', timeout: '1s' }));
      try {
        const res = await poller.poll();
        assert.equal(res.errorClass, 'timeout');
      } finally {
        session.close();
      }
    });
    // A port that was free a moment ago: nothing listens there.
    const { poller, session } = pollerFor(routerFor(await freePort()));
    try {
      const res = await poller.poll();
      assert.equal(res.errorClass, 'connect');
    } finally {
      session.close();
    }
  });

  it('polls a Technicolor gateway: `Username :` login, `{User}=>` prompt, `xdsl info` read by the real parser', async () => {
    const counters = readFileSync(join(fixtures, 'technicolor-tg788vn-xdsl-info-counters-1.txt'), 'utf8');
    const expected = JSON.parse(
      readFileSync(join(fixtures, 'technicolor-tg788vn-xdsl-info-counters-1.expected.json'), 'utf8'),
    ) as Record<string, unknown>;
    await withTelnetd(
      {
        loginPrompt: 'Username : ',
        prompt: '{Administrator}=>',
        answers: { 'xdsl info expand=enabled': counters.replace(/^.*\n/, '') },
      },
      async (t) => {
        const router = routerFor(t.port, {
          user: 'Administrator',
          command: 'xdsl info expand=enabled',
          parser: 'technicolor',
          shell: { prompt: String.raw`^\{\w+\}(?:\[[^\]]*\])?=> ?$` },
        });
        const { poller, session, written } = pollerOn(
          router,
          (r, logger) => new TelnetSession({ router: r, logger }),
          statusParser,
          captureLogger('trace'),
        );
        try {
          for (let i = 0; i < 2; i += 1) assert.equal((await poller.poll()).success, true);
          const conn = written[1]?.find((p) => p.measurement === 'adsl_connection');
          assert.deepEqual(conn?.fields, { value: 'up', state_class: 'showtime', line_up: true });
          const line = written[1]?.find((p) => p.measurement === 'adsl_line');
          assert.equal(line?.fields.mode, expected['mode']);
          assert.equal(line?.fields.fec_errors_down, 9810n);
          assert.equal(line?.fields.snr_margin_down_db, 31.4);
          assert.equal(line?.fields.uptime_s, 20121n);
          assert.equal(line?.fields.sync_rate_down_kbps, undefined, 'a damaged column is not read');
          assert.equal(t.logins(), 1);
        } finally {
          session.close();
        }
      },
    );
  });
});
