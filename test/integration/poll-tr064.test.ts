/**
 * Native TR-064 against a loopback box that answers with real FRITZ!Box replies
 * (test/fixtures/adsl/avm-tr064-*) behind digest auth, over HTTP and HTTPS.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { statusParser } from '../../src/ingest/index.js';
import type { RouterConfig } from '../../src/ingest/config/index.js';
import { PollService, sessionFor } from '../../src/ingest/poller/index.js';
import { SshSession } from '../../src/ingest/ssh/index.js';
import { TelnetSession } from '../../src/ingest/telnet/index.js';
import type { TransportError } from '../../src/ingest/transport/index.js';
import { Tr064Session } from '../../src/ingest/tr064/index.js';
import type { LinePoint } from '../../src/line-protocol/index.js';
import {
  captureLogger,
  freePort,
  REPO_ROOT,
  pollerOn,
  routerConfig,
  startTr064Box,
  type Tr064Box,
  type Tr064BoxOptions,
} from '../helpers/index.js';

const fixture = (name: string): string => readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'adsl', name), 'utf8');
const GET_INFO = fixture('avm-tr064-wandslinterfaceconfig-getinfo-1.txt');
const GET_STATS = fixture('avm-tr064-wandslinterfaceconfig-getstatisticstotal-1.txt');
const PASSWORD = 'Fritz-Box-Pw-0c7e42';

async function withBox(over: Partial<Tr064BoxOptions>, body: (b: Tr064Box) => Promise<void>): Promise<void> {
  const box = await startTr064Box({
    user: 'dslf-config',
    password: PASSWORD,
    responses: { GetInfo: GET_INFO, GetStatisticsTotal: GET_STATS },
    ...over,
  });
  try {
    await body(box);
  } finally {
    await box.close();
  }
}

function routerFor(port: number, over: Record<string, unknown> = {}, password = PASSWORD): RouterConfig {
  return routerConfig(
    {
      name: 'fritz',
      address: '127.0.0.1',
      port,
      user: 'dslf-config',
      transport: 'tr064',
      auth: { passwordEnv: 'PW' },
      timeout: 5,
      ...over,
    },
    { PW: password },
  );
}

const pollerFor = (router: RouterConfig, log = captureLogger('trace')) =>
  pollerOn(router, (r, logger) => new Tr064Session({ router: r, logger }), statusParser, log);

describe('TR-064 transport', () => {
  it('calls GetInfo, GetStatisticsTotal and AVM DSL info with digest auth, skipping an action the box lacks, on one kept connection', async () => {
    await withBox({}, async (box) => {
      const { poller, session, written, log } = pollerFor(routerFor(box.port));
      try {
        for (let i = 0; i < 3; i += 1) assert.equal((await poller.poll()).success, true);
        const conn = written[2]?.find((p) => p.measurement === 'adsl_connection');
        const line = written[2]?.find((p) => p.measurement === 'adsl_line');
        assert.deepEqual(conn?.fields, { value: 'Up', state_class: 'showtime', line_up: true });
        assert.equal(line?.fields.sync_rate_down_kbps, 236716n);
        assert.equal(line?.fields.snr_margin_down_db, 11);
        assert.equal(line?.fields.crc_errors_down, 6n, 'from GetStatisticsTotal');
        assert.equal(line?.fields.retrain_count, 1n);
        const svc = 'urn:dslforum-org:service:WANDSLInterfaceConfig:1';
        assert.deepEqual(box.calls.slice(-3), [
          `${svc}#GetInfo`,
          `${svc}#GetStatisticsTotal`,
          `${svc}#X_AVM-DE_GetDSLInfo`,
        ]);
        assert.equal(box.connections, 1, 'one kept-alive connection for all polls');
        assert.equal(box.challenges, 1, 'the digest challenge is answered once and reused');
        assert.ok(!log.text().includes(PASSWORD));
      } finally {
        session.close();
      }
    });
  });

  it('reads mode and profile from X_AVM-DE_GetDSLInfo where the box has it', async () => {
    // No published reply of this action was found: this one is the real GetInfo reply renamed,
    // with three of the action's output arguments (AVM's service description) added.
    const dslInfo = GET_INFO.replace('GetInfoResponse', 'X_AVM-DE_GetDSLInfoResponse')
      .replace('GetInfoResponse', 'X_AVM-DE_GetDSLInfoResponse')
      .replace(
        '<NewStatus>Up</NewStatus>',
        '<NewLinkStatus>Up</NewLinkStatus>\n<NewModulationType>VDSL2</NewModulationType>\n<NewCurrentProfile>35b</NewCurrentProfile>',
      );
    await withBox(
      { responses: { GetInfo: GET_INFO, GetStatisticsTotal: GET_STATS, 'X_AVM-DE_GetDSLInfo': dslInfo } },
      async (box) => {
        const { poller, session, written } = pollerFor(routerFor(box.port));
        try {
          assert.equal((await poller.poll()).success, true);
          const line = written[0]?.find((p) => p.measurement === 'adsl_line');
          assert.equal(line?.fields.mode, 'VDSL2');
          assert.equal(line?.fields.profile, '35b');
        } finally {
          session.close();
        }
      },
    );
  });

  it('classifies a wrong password as auth, and names neither password', async () => {
    await withBox({}, async (box) => {
      const wrong = 'Not-The-Pw-9911';
      const { poller, session, log } = pollerFor(routerFor(box.port, {}, wrong));
      try {
        const res = await poller.poll();
        assert.equal(res.errorClass, 'auth');
        await assert.rejects(
          session.run('GetInfo', 2000),
          (err: TransportError) => err.code === 'KUDF_TR064_AUTH' && !err.message.includes(wrong),
        );
        assert.ok(!log.text().includes(wrong));
      } finally {
        session.close();
      }
    });
  });

  it('verifies the HTTPS certificate unless told otherwise, and accepts it from caFile', async () => {
    await withBox({ https: true }, async (box) => {
      const strict = pollerFor(routerFor(box.port, { tr064: { https: true } }));
      const trusted = pollerFor(routerFor(box.port, { tr064: { https: true, caFile: box.certFile } }));
      const skipped = pollerFor(routerFor(box.port, { tr064: { https: true, insecureSkipVerify: true } }));
      try {
        const r1 = await strict.poller.poll();
        assert.equal(r1.errorClass, 'hostkey', 'an unknown certificate is an unproven identity');
        await assert.rejects(
          strict.session.run('GetInfo', 2000),
          (err: TransportError) => err.code === 'KUDF_TR064_TLS',
        );
        assert.equal((await trusted.poller.poll()).success, true);
        assert.equal((await skipped.poller.poll()).success, true);
      } finally {
        strict.session.close();
        trusted.session.close();
        skipped.session.close();
      }
    });
  });

  it('classifies a box that never answers as timeout, a closed port as connect and any other fault as command', async () => {
    await withBox({ hang: ['GetInfo'] }, async (box) => {
      const { poller, session } = pollerFor(routerFor(box.port, { timeout: '500ms' }));
      try {
        assert.equal((await poller.poll()).errorClass, 'timeout');
      } finally {
        session.close();
      }
    });
    await withBox({ responses: {} }, async (box) => {
      const { poller, session } = pollerFor(routerFor(box.port));
      try {
        assert.equal((await poller.poll()).errorClass, 'command', 'no action answered');
      } finally {
        session.close();
      }
    });
    const { poller, session } = pollerFor(routerFor(await freePort()));
    try {
      assert.equal((await poller.poll()).errorClass, 'connect');
    } finally {
      session.close();
    }
  });

  it('is what the poll service opens for a tr064 router (and SSH and telnet sessions for theirs)', async () => {
    await withBox({}, async (box) => {
      const router = routerFor(box.port);
      const points: LinePoint[] = [];
      const log = captureLogger('info');
      const service = new PollService({
        config: { routers: [router], concurrency: 1, maxBackoffMs: 60_000, jitter: 0, shutdownTimeoutMs: 1000 },
        parse: statusParser,
        sink: (p) => points.push(...p),
        logger: log.logger,
      });
      try {
        assert.ok(service.runners[0] instanceof Tr064Session);
        await service.runOnce();
        assert.ok(points.some((p) => p.measurement === 'adsl_line' && p.fields.sync_rate_up_kbps === 46719n));
      } finally {
        await service.stop();
      }
      const ssh = sessionFor({ ...router, transport: 'ssh' }, log.logger);
      const telnet = sessionFor({ ...router, transport: 'telnet' }, log.logger);
      assert.ok(ssh instanceof SshSession);
      assert.ok(telnet instanceof TelnetSession);
      ssh.close();
      telnet.close();
    });
  });
});
