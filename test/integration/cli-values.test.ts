/**
 * Durations, sizes and modes are written one way on every command, in flags, variables and
 * poll.yaml; a value that does not fit is a usage error (exit 2) that names where it was written
 * and what is accepted, and --help shows each default as a user writes it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KUDF } from '../helpers/index.js';

const dir = mkdtempSync(join(tmpdir(), 'kudf-cli-values-'));
const DURATION_HINT = 'expected a duration such as 500ms, 10s, 5m, 1h or 1m30s';

function kudf(
  args: string[],
  env: Record<string, string> = {},
): { status: number | null; stdout: string; stderr: string } {
  // No database from the surrounding environment: without one the points go to stdout.
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(INFLUX|KUDF_)/.test(k)));
  const r = spawnSync(process.execPath, [KUDF, ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    input: '',
    cwd: dir,
    env: { ...clean, KUDF_SOCKET_DIR: join(dir, 'sockets'), ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A poll.yaml with one router on a closed local port (its poll fails at once) and the given extras. */
function pollYaml(name: string, extra: string, router = ''): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `${extra}
routers:
  - name: r1
    address: 127.0.0.1
    port: 1
    user: admin
    auth: { password: x }
    command: xdslctl info --stats
    hostKey: { acceptAny: true }
${router}`,
  );
  return path;
}

function assertUsage(r: { status: number | null; stderr: string }, code: string, says: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, says);
  assert.ok(r.stderr.trimEnd().endsWith(`(${code})`), r.stderr);
  assert.ok(!/\n\s+at /.test(r.stderr), `no stack trace:\n${r.stderr}`);
}

describe('durations, sizes and modes on the command line', () => {
  it('poll.yaml takes influx.timeout: 10s and the other writer durations and sizes with units', () => {
    const cfg = pollYaml(
      'units.yaml',
      'influx:\n  timeout: 10s\n  flushInterval: 250ms\n  retryMaxDelay: 1m30s\n  queueMaxBytes: 64MiB\nshutdownTimeout: 2s',
    );
    const r = kudf(['poll', '--config', cfg, '--once', '--queue-dir', join(dir, 'q1')]);
    // The router's poll fails (nothing listens on port 1): exit 1, not a usage error.
    assert.equal(r.status, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /KUDF_INFLUX_SETTING_INVALID|KUDF_POLL_CONFIG_INVALID/);
    assert.match(r.stdout, /^adsl_poll,host=r1 .*success=false,error_class="connect"/m);
  });

  it('a bad duration in a flag names the flag', () => {
    assertUsage(
      kudf(['serve', '--grace', '10x']),
      'KUDF_USAGE',
      new RegExp(
        `^kudf serve: option '--grace <duration>' argument '10x' is invalid. ${DURATION_HINT} \\(a bare number is milliseconds\\), got "10x"`,
      ),
    );
    assertUsage(
      kudf(['publish', '--influx-timeout', '10x']),
      'KUDF_INFLUX_SETTING_INVALID',
      new RegExp(`^kudf publish: --influx-timeout: ${DURATION_HINT}`),
    );
    assertUsage(kudf(['health', '--timeout', 'soon']), 'KUDF_USAGE', /option '--timeout <duration>' argument 'soon'/);
  });

  it('kudf functions --conf writes its --timeout in a form Kapacitor reads', () => {
    const r = kudf(['functions', '--conf', '--timeout', '90000']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^  timeout = "1m30s"$/m);
    assertUsage(
      kudf(['functions', '--conf', '--timeout', '10x']),
      'KUDF_USAGE',
      /option '--timeout <duration>' argument '10x'/,
    );
  });

  it('a bad duration, size or mode in a variable names the variable', () => {
    assertUsage(
      kudf(['serve'], { KUDF_GRACE: '5q' }),
      'KUDF_USAGE',
      /value '5q' from env 'KUDF_GRACE' is invalid. expected a duration/,
    );
    assertUsage(
      kudf(['serve'], { KUDF_MAX_FRAME_BYTES: '64M' }),
      'KUDF_USAGE',
      /from env 'KUDF_MAX_FRAME_BYTES' is invalid. expected a size such as 512, 64KiB/,
    );
    assertUsage(
      kudf(['serve'], { KUDF_SOCKET_MODE: '438' }),
      'KUDF_USAGE',
      /from env 'KUDF_SOCKET_MODE' is invalid. expected an octal file mode/,
    );
    assertUsage(
      kudf(['publish'], { KUDF_INFLUX_TIMEOUT: 'soon' }),
      'KUDF_INFLUX_SETTING_INVALID',
      new RegExp(`^kudf publish: KUDF_INFLUX_TIMEOUT: ${DURATION_HINT}`),
    );
  });

  it('a bad duration in poll.yaml names the file and the key', () => {
    const influx = pollYaml('bad-influx.yaml', 'influx:\n  timeout: ten');
    assertUsage(
      kudf(['poll', '--config', influx, '--once']),
      'KUDF_INFLUX_SETTING_INVALID',
      new RegExp(`^kudf poll: ${influx.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: influx.timeout: ${DURATION_HINT}`),
    );
    const router = pollYaml('bad-interval.yaml', '', '    interval: 10x\n');
    const r = kudf(['poll', '--config', router, '--once']);
    assertUsage(r, 'KUDF_POLL_CONFIG_INVALID', /bad-interval\.yaml: invalid poll config:/);
    assert.match(
      r.stderr,
      new RegExp(`routers\\[0\\]\\.interval: ${DURATION_HINT} \\(a bare number is seconds\\), got "10x"`),
    );
  });

  it('an unknown log level is an error on every command that logs, from the flag or KUDF_LOG_LEVEL', () => {
    const cfg = pollYaml('level.yaml', '');
    for (const args of [['serve'], ['poll', '--config', cfg, '--once'], ['publish']]) {
      assertUsage(
        kudf([...args, '--log-level', 'loud']),
        'KUDF_USAGE',
        /option '--log-level <level>' argument 'loud' is invalid. expected one of trace, debug, info/,
      );
      assertUsage(
        kudf(args, { KUDF_LOG_LEVEL: 'verbose' }),
        'KUDF_USAGE',
        /value 'verbose' from env 'KUDF_LOG_LEVEL' is invalid/,
      );
    }
  });

  it('--help shows defaults as a user writes them', () => {
    const serve = kudf(['serve', '--help']);
    assert.equal(serve.status, 0, serve.stderr);
    const text = serve.stdout.replace(/\s+/g, ' ');
    for (const shown of [
      '--grace <duration> how long sessions may finish after SIGTERM/SIGINT (default: "10s", env: KUDF_GRACE)',
      '(default: "666", env: KUDF_SOCKET_MODE)',
      '(default: "755", env: KUDF_DIR_MODE)',
      '(default: "64MiB", env: KUDF_MAX_FRAME_BYTES)',
      '(default: "30s", env: KUDF_STALL_TIMEOUT)',
    ])
      assert.ok(text.includes(shown), `${shown} in\n${serve.stdout}`);
    assert.doesNotMatch(serve.stdout, /default: (438|493|10000|30000|67108864)\b/);
    for (const command of ['poll', 'publish']) {
      const help = kudf([command, '--help']).stdout.replace(/\s+/g, ' ');
      assert.ok(help.includes('request timeout (env KUDF_INFLUX_TIMEOUT) (default: "10s")'), help);
      assert.ok(help.includes('(default: "256MiB")'), help);
    }
    assert.ok(kudf(['health', '--help']).stdout.includes('(default: "3s")'));
    assert.ok(kudf(['reload', '--help']).stdout.includes('(default: "30s")'));
  });
});
