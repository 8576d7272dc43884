/**
 * Poller throughput: how many routers one poller polls per minute against simulated SSH
 * devices on loopback (one ssh2 Server standing in for N routers, in the same process, so the
 * figure includes the simulator's CPU and is a lower bound). Cold = every poll logs in; warm =
 * the kept-open connections are reused, the normal case. Figures only; no assertions.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeRouter, startTelnetd, startTr064Box, startWebBox } from '../test/helpers/index.js';
import { createLogger } from '../src/log/index.js';
import { validatePollConfig, type PollConfig } from '../src/ingest/config/index.js';
import { PollService } from '../src/ingest/poller/index.js';
import { statusParser } from '../src/ingest/index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function benchPoller(routers = 200, concurrency = 50): Promise<Record<string, number>> {
  const fixture = readFileSync(join(repo, 'test', 'fixtures', 'adsl', 'broadcom-xdslctl-info-stats-1.txt'), 'utf8');
  const device = await startFakeRouter({ password: 'bench', answer: () => fixture });
  let points = 0;
  const config = validatePollConfig(
    {
      defaults: {
        user: 'admin',
        command: 'xdslctl info --stats',
        auth: { password: 'bench' },
        hostKey: { fingerprint: device.hostFingerprint },
        port: device.port,
      },
      routers: Array.from({ length: routers }, (_, i) => ({ name: `r${i}`, address: '127.0.0.1' })),
      concurrency,
    },
    { env: {}, readFile: () => '', baseDir: repo, homeDir: repo },
  );
  const service = new PollService({
    config,
    parse: statusParser,
    sink: (p) => (points += p.length),
    logger: createLogger({ level: 'silent' }),
  });
  try {
    const t0 = performance.now();
    await service.runOnce();
    const cold = performance.now() - t0;
    const t1 = performance.now();
    await service.runOnce();
    const warm = performance.now() - t1;
    const failures = service.pollers.reduce((n, p) => n + p.stats.failures, 0);
    return {
      routers,
      concurrency,
      cold_round_ms: Math.round(cold),
      warm_round_ms: Math.round(warm),
      cold_routers_per_minute: Math.round((routers / cold) * 60_000),
      warm_routers_per_minute: Math.round((routers / warm) * 60_000),
      logins: device.logins,
      failures,
      points,
    };
  } finally {
    await service.stop();
    await device.close();
  }
}

/**
 * The same figure for telnet routers: N routers against Debian's telnetd on loopback (one
 * telnetd and fake-router process per connection, on this machine), so it includes the
 * device side's CPU too. Cold = every router logs in at Account:/Password:; warm = kept sessions.
 */
export async function benchPollerTelnet(routers = 50, concurrency = 25): Promise<Record<string, number>> {
  const fixture = readFileSync(join(repo, 'test', 'fixtures', 'adsl', 'broadcom-xdslctl-info-stats-1.txt'), 'utf8');
  const device = await startTelnetd({
    loginPrompt: 'Account:',
    password: 'bench',
    prompt: 'DSL> ',
    answers: { 'xdslctl info --stats': fixture },
  });
  const config = validatePollConfig(
    {
      defaults: {
        user: 'admin',
        command: 'xdslctl info --stats',
        auth: { password: 'bench' },
        transport: 'telnet',
        port: device.port,
        shell: { prompt: '^DSL> ?$' },
      },
      routers: Array.from({ length: routers }, (_, i) => ({ name: `t${i}`, address: '127.0.0.1' })),
      concurrency,
    },
    { env: {}, readFile: () => '', baseDir: repo, homeDir: repo },
  );
  return roundFigures(
    config,
    routers,
    concurrency,
    async () => device.logins(),
    () => device.stop(),
  );
}

/**
 * TR-064: N FRITZ!Box routers against one loopback SOAP endpoint with digest auth (http-auth),
 * answering the real GetInfo and GetStatisticsTotal replies; three actions per poll (the AVM one
 * is answered "Invalid Action"). Cold includes the first digest challenge per router.
 */
export async function benchPollerTr064(routers = 200, concurrency = 50): Promise<Record<string, number>> {
  const fixture = (name: string): string => readFileSync(join(repo, 'test', 'fixtures', 'adsl', name), 'utf8');
  const box = await startTr064Box({
    user: 'bench',
    password: 'bench',
    responses: {
      GetInfo: fixture('avm-tr064-wandslinterfaceconfig-getinfo-1.txt'),
      GetStatisticsTotal: fixture('avm-tr064-wandslinterfaceconfig-getstatisticstotal-1.txt'),
    },
  });
  const config = validatePollConfig(
    {
      defaults: { user: 'bench', auth: { password: 'bench' }, transport: 'tr064', port: box.port },
      routers: Array.from({ length: routers }, (_, i) => ({ name: `f${i}`, address: '127.0.0.1' })),
      concurrency,
    },
    { env: {}, readFile: () => '', baseDir: repo, homeDir: repo },
  );
  return roundFigures(
    config,
    routers,
    concurrency,
    async () => box.challenges,
    () => box.close(),
  );
}

/**
 * HTTP: N ZyXEL routers against one loopback web server serving the real xDSL Statistics page
 * behind a form login with a session cookie. Cold = every router logs in with the form first;
 * warm = the kept sessions and connections.
 */
export async function benchPollerHttp(routers = 200, concurrency = 50): Promise<Record<string, number>> {
  const page = readFileSync(
    join(repo, 'test', 'fixtures', 'adsl-web', 'zyxel-vmg1312-b10a-xdsl-statistics-1.txt'),
    'utf8',
  );
  const form = { path: '/login/login-page.cgi', userField: 'AuthName', passwordField: 'AuthPassword' };
  const box = await startWebBox({ login: 'form', user: 'bench', password: 'bench', form, pages: { '/xdsl': page } });
  const config = validatePollConfig(
    {
      defaults: {
        user: 'bench',
        auth: { password: 'bench' },
        transport: 'http',
        parser: 'zyxel',
        http: {
          url: `${box.origin}/xdsl`,
          login: 'form',
          form: {
            url: form.path,
            userField: form.userField,
            passwordField: form.passwordField,
            loggedOut: 'top\\.location',
          },
        },
      },
      routers: Array.from({ length: routers }, (_, i) => ({ name: `w${i}`, address: '127.0.0.1' })),
      concurrency,
    },
    { env: {}, readFile: () => '', baseDir: repo, homeDir: repo },
  );
  return roundFigures(
    config,
    routers,
    concurrency,
    async () => box.logins,
    () => box.close(),
  );
}

async function roundFigures(
  config: PollConfig,
  routers: number,
  concurrency: number,
  logins: () => Promise<number>,
  stopDevice: () => Promise<void>,
): Promise<Record<string, number>> {
  let points = 0;
  const service = new PollService({
    config,
    parse: statusParser,
    sink: (p) => (points += p.length),
    logger: createLogger({ level: 'silent' }),
  });
  try {
    const t0 = performance.now();
    await service.runOnce();
    const cold = performance.now() - t0;
    const t1 = performance.now();
    await service.runOnce();
    const warm = performance.now() - t1;
    const failures = service.pollers.reduce((n, p) => n + p.stats.failures, 0);
    return {
      routers,
      concurrency,
      cold_round_ms: Math.round(cold),
      warm_round_ms: Math.round(warm),
      cold_routers_per_minute: Math.round((routers / cold) * 60_000),
      warm_routers_per_minute: Math.round((routers / warm) * 60_000),
      logins: await logins(),
      failures,
      points,
    };
  } finally {
    await service.stop();
    await stopDevice();
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(await benchPoller());
  console.log(await benchPollerTelnet());
  console.log(await benchPollerTr064());
  console.log(await benchPollerHttp());
}
