import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeRouter, startSilentRouter, fixtureParser, captureLogger } from '../helpers/index.js';
import { validatePollConfig } from '../../src/ingest/config/index.js';
import { PollService } from '../../src/ingest/poller/index.js';
import type { LinePoint } from '../../src/line-protocol/index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fixtures = join(repo, 'test', 'fixtures', 'adsl');
const FIXTURE = readFileSync(join(fixtures, 'cisco-show-dsl-interface-atm0-1.txt'), 'utf8');

describe('hung routers', () => {
  it('a router that accepts TCP and never speaks times out without holding up another router', async () => {
    const silent = await startSilentRouter();
    const good = await startFakeRouter({ password: 'pw', answer: () => FIXTURE });
    const log = captureLogger('info');
    const events: string[] = [];
    const config = validatePollConfig(
      {
        defaults: {
          user: 'u',
          command: 'show dsl interface atm0',
          auth: { password: 'pw' },
          hostKey: { acceptAny: true },
          connectTimeout: '1500ms',
        },
        routers: [
          { name: 'silent', address: '127.0.0.1', port: silent.port },
          { name: 'good', address: '127.0.0.1', port: good.port },
        ],
        concurrency: 2,
      },
      { env: {}, readFile: () => '', baseDir: repo, homeDir: repo },
    );
    const service = new PollService({
      config,
      parse: fixtureParser(fixtures),
      logger: log.logger,
      sink: (points: LinePoint[]) => {
        for (const p of points) events.push(`${p.tags.host}:${p.measurement}:${String(p.fields.error_class ?? '')}`);
      },
    });
    try {
      await service.runOnce();
      assert.equal(silent.accepted, 1);
      assert.deepEqual(events, [
        'good:adsl_connection:',
        'good:adsl_line:',
        'good:adsl_poll:none',
        'silent:adsl_poll:timeout',
      ]);
    } finally {
      await service.stop();
      await silent.close();
      await good.close();
    }
  });

  it('a command that never returns times out and the next poll uses a fresh connection', async () => {
    let hang = true;
    const fr = await startFakeRouter({ password: 'pw', answer: () => (hang ? 'hang' : FIXTURE) });
    const config = validatePollConfig(
      {
        routers: [
          {
            name: 'r',
            address: '127.0.0.1',
            port: fr.port,
            user: 'u',
            command: 'show dsl interface atm0',
            auth: { password: 'pw' },
            hostKey: { fingerprint: fr.hostFingerprint },
            timeout: '400ms',
          },
        ],
      },
      { env: {}, readFile: () => '', baseDir: repo, homeDir: repo },
    );
    const results: string[] = [];
    const service = new PollService({
      config,
      parse: fixtureParser(fixtures),
      logger: captureLogger('info').logger,
      sink: (points) => results.push(String(points.at(-1)?.fields.error_class)),
    });
    try {
      await service.runOnce();
      hang = false;
      await service.runOnce();
      assert.deepEqual(results, ['timeout', 'none']);
      assert.equal(fr.logins, 2);
    } finally {
      await service.stop();
      await fr.close();
    }
  });

  it('shutdown waits for a poll in flight no longer than its deadline, then closes the connection', async () => {
    const fr = await startFakeRouter({ password: 'pw', answer: () => 'hang' });
    const config = validatePollConfig(
      {
        routers: [
          {
            name: 'r',
            address: '127.0.0.1',
            port: fr.port,
            user: 'u',
            command: 'x',
            auth: { password: 'pw' },
            hostKey: { fingerprint: fr.hostFingerprint },
            timeout: 60,
          },
        ],
        shutdownTimeout: '200ms',
      },
      { env: {}, readFile: () => '', baseDir: repo, homeDir: repo },
    );
    const results: string[] = [];
    const service = new PollService({
      config,
      parse: fixtureParser(fixtures),
      logger: captureLogger('info').logger,
      sink: (p) => results.push(String(p.at(-1)?.fields.error_class)),
    });
    try {
      const once = service.runOnce();
      while (fr.commands.length === 0) await new Promise((r) => setTimeout(r, 10));
      await service.stop();
      await once;
      // The poll ended because stop() closed its connection, not because its 60 s timeout ran out.
      assert.deepEqual(results, ['connect']);
    } finally {
      await fr.close();
    }
  });
});
