/**
 * The `http` transport against a loopback web server serving real router pages
 * (test/fixtures/adsl-web/) behind basic, digest and form login, over HTTP and HTTPS, through the
 * same RouterPoller and points as every other transport.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { statusParser } from '../../src/ingest/index.js';
import type { RouterConfig } from '../../src/ingest/config/index.js';
import { HttpSession } from '../../src/ingest/http/index.js';
import { PollService } from '../../src/ingest/poller/index.js';
import type { TransportError } from '../../src/ingest/transport/index.js';
import type { LinePoint } from '../../src/line-protocol/index.js';
import {
  captureLogger,
  freePort,
  pollerOn,
  REPO_ROOT,
  routerConfig,
  startWebBox,
  WEB_BOX_FORM as FORM,
  WEB_BOX_FORM_LOGIN,
  type WebBox,
  type WebBoxOptions,
} from '../helpers/index.js';

const page = (name: string): string => readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'adsl-web', name), 'utf8');
const ZYXEL = page('zyxel-vmg1312-b10a-xdsl-statistics-1.txt');
const BTHUB = page('bthub-smarthub-wan-linestatus-rate-list-1.txt');
const SPEEDPORT = page('speedport-w925v-dsl-hidden-status-1.txt');
const PASSWORD = 'Web-Ui-Pw:7f3a&x=1';
const ZYXEL_PATH = '/pages/systemMonitoring/xdslStatistics/GetxdslStatistics.html';

async function withBox(opts: Partial<WebBoxOptions>, body: (b: WebBox) => Promise<void>): Promise<void> {
  const box = await startWebBox({ login: 'none', user: 'admin', password: PASSWORD, pages: {}, ...opts });
  try {
    await body(box);
  } finally {
    await box.close();
  }
}

function routerFor(
  http: Record<string, unknown>,
  over: Record<string, unknown> = {},
  password = PASSWORD,
): RouterConfig {
  return routerConfig(
    {
      name: 'web',
      address: '127.0.0.1',
      user: 'admin',
      transport: 'http',
      auth: { passwordEnv: 'PW' },
      timeout: 5,
      http,
      ...over,
    },
    { PW: password },
  );
}

const pollerFor = (router: RouterConfig, log = captureLogger('trace')) =>
  pollerOn(
    router,
    (r, logger) => {
      assert.ok(r.http);
      return new HttpSession({ router: { ...r, http: r.http }, logger });
    },
    statusParser,
    log,
  );

const lineOf = (points: LinePoint[] | undefined) => points?.find((p) => p.measurement === 'adsl_line');
const formLogin = { login: 'form', form: WEB_BOX_FORM_LOGIN };

describe('HTTP transport', () => {
  it('reads the ZyXEL page behind basic auth on one kept connection, and never logs the password', async () => {
    await withBox({ login: 'basic', pages: { [ZYXEL_PATH]: ZYXEL } }, async (box) => {
      const { poller, session, written, log } = pollerFor(
        routerFor({ url: ZYXEL_PATH, login: 'basic' }, { port: box.port, parser: 'zyxel' }),
      );
      try {
        for (let i = 0; i < 3; i += 1) assert.equal((await poller.poll()).success, true);
        const conn = written[2]?.find((p) => p.measurement === 'adsl_connection');
        assert.deepEqual(conn?.fields, { value: 'Showtime', state_class: 'showtime', line_up: true });
        const line = lineOf(written[2]);
        assert.equal(line?.fields.sync_rate_down_kbps, 116800n);
        assert.equal(line?.fields.snr_margin_down_db, 11.6);
        assert.equal(line?.fields.crc_errors_down, 86n);
        assert.equal(box.served, 3);
        assert.equal(box.connections, 1, 'one kept-alive connection for all polls');
        assert.equal(box.challenges, 0, 'basic credentials go with the first request');
        assert.ok(!log.text().includes(PASSWORD));
      } finally {
        session.close();
      }
    });
  });

  it('answers a digest challenge once and reuses it (BT Hub page)', async () => {
    await withBox(
      { login: 'digest', pages: { '/nonAuth/wan_conn.xml': { body: BTHUB, type: 'text/xml' } } },
      async (box) => {
        const { poller, session, written } = pollerFor(
          routerFor({ url: `${box.origin}/nonAuth/wan_conn.xml`, login: 'digest' }, { parser: 'bthub' }),
        );
        try {
          for (let i = 0; i < 3; i += 1) assert.equal((await poller.poll()).success, true);
          assert.equal(lineOf(written[2])?.fields.sync_rate_up_kbps, 18567n);
          assert.equal(box.challenges, 1, 'the challenge is answered once and reused');
          assert.equal(box.served, 3);
        } finally {
          session.close();
        }
      },
    );
  });

  it('logs in with the form once, keeps the session cookie, and logs in again when the session ends', async () => {
    await withBox(
      { login: 'form', form: FORM, pages: { '/engineer/html/dsl_hidden_status.stm': SPEEDPORT } },
      async (box) => {
        const { poller, session, written, log } = pollerFor(
          routerFor(
            {
              url: `${box.origin}/engineer/html/dsl_hidden_status.stm`,
              ...formLogin,
              form: { ...formLogin.form, fields: { Submit: 'Login', lang: 'en' } },
            },
            { parser: 'speedport' },
          ),
        );
        try {
          for (let i = 0; i < 3; i += 1) assert.equal((await poller.poll()).success, true);
          assert.equal(box.logins, 1, 'one login for three polls');
          assert.equal(lineOf(written[2])?.fields.sync_rate_down_kbps, 115967n);
          const sent = new URLSearchParams(box.formBodies[0]);
          assert.equal(sent.get('Submit'), 'Login', 'the further form fields go with the login');
          assert.equal(sent.get('lang'), 'en');
          assert.equal(sent.get('AuthName'), 'admin');
          assert.equal(sent.get('AuthPassword'), PASSWORD, 'the password is form-encoded, colon and ampersand intact');
          box.expireSessions();
          assert.equal((await poller.poll()).success, true, 'an ended session costs a login, not a failed poll');
          assert.equal(box.logins, 2);
          assert.equal(session.logins, 2);
          assert.ok(!log.text().includes(PASSWORD));
        } finally {
          session.close();
        }
      },
    );
  });

  it('classifies a wrong password as auth for basic, digest and form login, and names it nowhere', async () => {
    const wrong = 'Not-The-Pw-9911';
    for (const login of ['basic', 'digest', 'form'] as const) {
      await withBox({ login, form: FORM, pages: { [ZYXEL_PATH]: ZYXEL } }, async (box) => {
        const http = login === 'form' ? { url: ZYXEL_PATH, ...formLogin } : { url: ZYXEL_PATH, login };
        const { poller, session, log } = pollerFor(routerFor(http, { port: box.port, parser: 'zyxel' }, wrong));
        try {
          assert.equal((await poller.poll()).errorClass, 'auth', login);
          await assert.rejects(
            session.run('', 2000),
            (err: TransportError) => err.code === 'KUDF_HTTP_AUTH' && !err.message.includes(wrong),
          );
          assert.ok(!log.text().includes(wrong), login);
        } finally {
          session.close();
        }
      });
    }
  });

  it('refuses a self-signed certificate by default, accepts it with tlsVerify: false or from caFile', async () => {
    await withBox({ https: true, pages: { [ZYXEL_PATH]: ZYXEL } }, async (box) => {
      const url = `${box.origin}${ZYXEL_PATH}`;
      const strict = pollerFor(routerFor({ url, login: 'none' }, { parser: 'zyxel' }));
      const skipped = pollerFor(routerFor({ url, login: 'none', tlsVerify: false }, { parser: 'zyxel' }));
      const trusted = pollerFor(routerFor({ url, login: 'none', caFile: box.certFile }, { parser: 'zyxel' }));
      try {
        assert.equal(
          (await strict.poller.poll()).errorClass,
          'hostkey',
          'an unknown certificate is an unproven identity',
        );
        await assert.rejects(strict.session.run('', 2000), (err: TransportError) => err.code === 'KUDF_HTTP_TLS');
        assert.equal((await skipped.poller.poll()).success, true);
        assert.equal((await trusted.poller.poll()).success, true);
        assert.equal(lineOf(skipped.written[0])?.fields.attainable_rate_down_kbps, 135971n);
      } finally {
        strict.session.close();
        skipped.session.close();
        trusted.session.close();
      }
    });
  });

  it('classifies a hung server as timeout, a closed port as connect, 404 and 500 as command, an unreadable page as parse', async () => {
    await withBox({ hang: [ZYXEL_PATH], pages: { [ZYXEL_PATH]: ZYXEL } }, async (box) => {
      const { poller, session } = pollerFor(
        routerFor({ url: ZYXEL_PATH, login: 'none' }, { port: box.port, parser: 'zyxel', timeout: '500ms' }),
      );
      try {
        assert.equal((await poller.poll()).errorClass, 'timeout');
      } finally {
        session.close();
      }
    });
    await withBox(
      {
        pages: {
          '/broken': { body: 'Internal error', type: 'text/plain', status: 500 },
          '/login.html': '<html><form><input name="AuthName"></form></html>',
        },
      },
      async (box) => {
        for (const [path, cls] of [
          ['/missing', 'command'],
          ['/broken', 'command'],
          ['/login.html', 'parse'],
        ] as const) {
          const { poller, session } = pollerFor(
            routerFor({ url: path, login: 'none' }, { port: box.port, parser: 'auto' }),
          );
          try {
            assert.equal((await poller.poll()).errorClass, cls, path);
          } finally {
            session.close();
          }
        }
      },
    );
    const { poller, session } = pollerFor(
      routerFor({ url: '/', login: 'none' }, { port: await freePort(), parser: 'zyxel' }),
    );
    try {
      assert.equal((await poller.poll()).errorClass, 'connect');
    } finally {
      session.close();
    }
  });

  it('gives the form login connectTimeout, and classes a redirect and a reply over 1 MiB as command', async () => {
    await withBox({ login: 'form', form: FORM, hang: [FORM.path], pages: { [ZYXEL_PATH]: ZYXEL } }, async (box) => {
      const { poller, session } = pollerFor(
        routerFor(
          { url: ZYXEL_PATH, ...formLogin },
          { port: box.port, parser: 'zyxel', timeout: 10, connectTimeout: '300ms' },
        ),
      );
      try {
        const t0 = Date.now();
        const res = await poller.poll();
        assert.equal(res.errorClass, 'timeout');
        assert.ok(Date.now() - t0 < 5000, 'the login waited connectTimeout, not the 10 s poll timeout');
      } finally {
        session.close();
      }
    });
    await withBox(
      {
        pages: {
          '/moved': { body: '', type: 'text/html', status: 302 },
          '/huge': { body: 'x'.repeat((1 << 20) + 1024), type: 'text/plain' },
        },
      },
      async (box) => {
        for (const [path, code] of [
          ['/moved', 'KUDF_HTTP_STATUS'],
          ['/huge', 'KUDF_HTTP_TOO_LARGE'],
        ] as const) {
          const { poller, session } = pollerFor(
            routerFor({ url: path, login: 'none' }, { port: box.port, parser: 'auto' }),
          );
          try {
            assert.equal((await poller.poll()).errorClass, 'command', path);
            await assert.rejects(session.run('', 2000), (err: TransportError) => err.code === code);
          } finally {
            session.close();
          }
        }
      },
    );
  });

  it('is what the poll service opens for an http router', async () => {
    await withBox({ login: 'basic', pages: { [ZYXEL_PATH]: ZYXEL } }, async (box) => {
      const router = routerFor({ url: ZYXEL_PATH }, { port: box.port, parser: 'zyxel' });
      const points: LinePoint[] = [];
      const service = new PollService({
        config: { routers: [router], concurrency: 1, maxBackoffMs: 60_000, jitter: 0, shutdownTimeoutMs: 1000 },
        parse: statusParser,
        sink: (p) => points.push(...p),
        logger: captureLogger('info').logger,
      });
      try {
        assert.ok(service.runners[0] instanceof HttpSession);
        await service.runOnce();
        assert.ok(points.some((p) => p.measurement === 'adsl_line' && p.fields.sync_rate_up_kbps === 36999n));
        assert.ok(points.some((p) => p.measurement === 'adsl_poll' && p.fields.error_class === 'none'));
      } finally {
        await service.stop();
      }
    });
  });

  it('runs through kudf poll --once: a form-login ZyXEL router printed as line protocol, exit 0, no password on stderr', async () => {
    await withBox({ login: 'form', form: FORM, pages: { [ZYXEL_PATH]: ZYXEL } }, async (box) => {
      const dir = mkdtempSync(join(tmpdir(), 'kudf-poll-http-'));
      try {
        const cfg = join(dir, 'poll.json');
        writeFileSync(
          cfg,
          JSON.stringify({
            jitter: 0,
            routers: [
              {
                name: 'zyxel-1',
                address: '127.0.0.1',
                port: box.port,
                user: 'admin',
                transport: 'http',
                parser: 'zyxel',
                auth: { passwordEnv: 'ZYXEL_PW' },
                http: { url: ZYXEL_PATH, ...formLogin },
              },
            ],
          }),
        );
        const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^INFLUX/.test(k)));
        const child = spawn(
          process.execPath,
          [join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'), 'poll', '--config', cfg, '--once', '--log-level', 'debug'],
          { env: { ...env, ZYXEL_PW: PASSWORD }, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
        assert.equal(code, 0, stderr);
        assert.match(
          stdout,
          /^adsl_connection,host=zyxel-1 value="Showtime",state_class="showtime",line_up=true \d+$/m,
        );
        assert.match(stdout, /^adsl_line,host=zyxel-1 .*sync_rate_down_kbps=116800i/m);
        assert.match(stdout, /^adsl_poll,host=zyxel-1 .*success=true,error_class="none"/m);
        assert.equal(box.logins, 1);
        assert.ok(!stderr.includes(PASSWORD) && !stdout.includes(PASSWORD));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
