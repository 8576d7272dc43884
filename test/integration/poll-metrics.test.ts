/** `kudf poll --http`: poll counts by router and error class, durations and points, from a real sshd. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, waitFor, KUDF, REPO_ROOT, writePollConfig, startSshd, type SshdHandle } from '../helpers/index.js';

function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (m === null || m[1] !== name) continue;
    const have: Record<string, string> = {};
    for (const x of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) have[x[1]!] = x[2]!;
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('kudf poll --http', () => {
  let s: SshdHandle;
  let child: ChildProcess;
  let url = '';
  let stderr = '';

  before(async () => {
    s = await startSshd({ root: REPO_ROOT });
    const closed = await freePort();
    const cfg = join(s.dir, 'poll-metrics.json');
    const router = { user: s.user, auth: { privateKeyEnv: 'ROUTER_KEY' }, fingerprint: s.hostFingerprint };
    writePollConfig(cfg, {
      routers: [
        { ...router, name: 'dsl-1', port: s.port, command: 'cat test/fixtures/adsl/broadcom-xdslctl-info-stats-1.txt' },
        { ...router, name: 'dsl-gone', port: closed, command: 'true' },
      ],
    });
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^INFLUX/.test(k)));
    child = spawn(process.execPath, [KUDF, 'poll', '--config', cfg, '--http', '127.0.0.1:0'], {
      cwd: REPO_ROOT,
      env: { ...env, ROUTER_KEY: s.clientKey },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    await waitFor(
      'the endpoints',
      async () => {
        url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stderr)?.[1] ?? '';
        return url !== '';
      },
      20_000,
      50,
    );
  });

  after(async () => {
    child?.kill('SIGTERM');
    await s?.stop();
  });

  it('has a poll counter for every router and error class from the first scrape, at 0 until it happens', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const classes = ['none', 'connect', 'auth', 'hostkey', 'timeout', 'parse', 'command', 'internal'];
    for (const router of ['dsl-1', 'dsl-gone']) {
      for (const errorClass of classes)
        assert.ok(
          sample(text, 'kudf_poll_total', { router, error_class: errorClass }) !== undefined,
          `${router} ${errorClass}`,
        );
      assert.ok(sample(text, 'kudf_poll_points_total', { router }) !== undefined, router);
      // Neither router can fail these ways (the key and the fingerprint are right, the output parses).
      for (const errorClass of ['auth', 'hostkey', 'parse'])
        assert.equal(
          sample(text, 'kudf_poll_total', { router, error_class: errorClass }),
          0,
          `${router} ${errorClass}`,
        );
    }
    for (const name of [
      'kudf_writer_retries_total',
      'kudf_writer_dropped_lines_total',
      'kudf_writer_dead_letter_lines_total',
      'kudf_writer_invalid_points_total',
    ])
      assert.equal(sample(text, name), 0, name);
  });

  it('counts polls by router and error class, their durations and the points they made', async () => {
    let text = '';
    await waitFor(
      'a poll of each router',
      async () => {
        text = await (await fetch(`${url}/metrics`)).text();
        return (
          (sample(text, 'kudf_poll_total', { router: 'dsl-1', error_class: 'none' }) ?? 0) >= 1 &&
          (sample(text, 'kudf_poll_total', { router: 'dsl-gone', error_class: 'connect' }) ?? 0) >= 1
        );
      },
      30_000,
      250,
    );
    assert.ok((sample(text, 'kudf_poll_duration_seconds_count', { router: 'dsl-1' }) ?? 0) >= 1);
    // adsl_connection and adsl_line per successful poll; a failed poll makes only adsl_poll.
    assert.ok((sample(text, 'kudf_poll_points_total', { router: 'dsl-1' }) ?? 0) >= 2);
    assert.equal(sample(text, 'kudf_poll_points_total', { router: 'dsl-gone' }), 0);
    assert.ok((sample(text, 'kudf_writer_points_accepted_total') ?? 0) >= 3);
    for (const name of [
      'kudf_writer_queue_lines',
      'kudf_writer_queue_bytes',
      'kudf_writer_queue_oldest_age_seconds',
      'kudf_writer_retries_total',
      'kudf_writer_dropped_lines_total',
      'kudf_writer_dead_letter_lines_total',
    ]) {
      assert.ok(sample(text, name) !== undefined, name);
    }
    const status = (await (await fetch(`${url}/status`)).json()) as {
      routers: Array<{ name: string; polls: number; lastErrorClass: string }>;
    };
    assert.deepEqual(status.routers.map((r) => r.name).sort(), ['dsl-1', 'dsl-gone']);
    assert.equal(status.routers.find((r) => r.name === 'dsl-gone')?.lastErrorClass, 'connect');
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
  });
});
