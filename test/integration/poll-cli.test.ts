import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writePollConfig, startSshd, type SshdHandle } from '../helpers/index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const main = join(repo, 'dist', 'src', 'cli', 'main.js');

/** Runs the CLI with no database configured (INFLUX_* cleared) and collects its output. */
function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^INFLUX/.test(k)));
  const child = spawn(process.execPath, [main, ...args], {
    cwd: repo,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('kudf poll end to end', () => {
  let s: SshdHandle;
  before(async () => {
    s = await startSshd({ root: repo });
  });
  after(async () => {
    await s?.stop();
  });

  it('prints adsl_connection, adsl_line and adsl_poll line protocol for a real sshd with --once', async () => {
    const cfg = join(s.dir, 'poll.json');
    writePollConfig(cfg, {
      routers: [
        {
          name: 'dsl-1',
          port: s.port,
          user: s.user,
          command: 'cat test/fixtures/adsl/broadcom-xdslctl-info-stats-1.txt',
          auth: { privateKeyEnv: 'ROUTER_KEY' },
          fingerprint: s.hostFingerprint,
        },
      ],
    });
    const r = await runCli(['poll', '--config', cfg, '--once'], { ROUTER_KEY: s.clientKey });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 3, r.stdout);
    assert.match(
      lines[0] ?? '',
      /^adsl_connection,host=dsl-1,site=lab value="Showtime",state_class="showtime",line_up=true \d{19}$/,
    );
    assert.match(
      lines[1] ?? '',
      /^adsl_line,host=dsl-1,site=lab .*sync_rate_down_kbps=31829i.*snr_margin_down_db=6\.9[,\s]/,
    );
    assert.match(
      lines[2] ?? '',
      /^adsl_poll,host=dsl-1,site=lab duration_ms=[\d.]+,success=true,error_class="none" \d{19}$/,
    );
    assert.ok(
      !r.stderr.includes('BEGIN OPENSSH PRIVATE KEY') && !r.stderr.includes(s.clientKey.split('\n')[1] ?? '#'),
      'key material in logs',
    );
  });

  it('exits 2 and names the key when the config is invalid', async () => {
    const cfg = join(s.dir, 'bad.yaml');
    writeFileSync(cfg, 'routers:\n  - name: x\n    address: 127.0.0.1\n    user: u\n    command: c\n    auth: {}\n');
    const r = await runCli(['poll', '--config', cfg, '--once']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /routers\[0\]\.auth: needs a password or a private key/);
    assert.equal(r.stdout, '');
  });

  it('exits 1 with an adsl_poll failure point when the router refuses the command', async () => {
    const cfg = join(s.dir, 'fail.yaml');
    writeFileSync(
      cfg,
      `routers:\n  - name: dsl-2\n    address: 127.0.0.1\n    port: ${s.port}\n    user: ${s.user}\n    command: fail\n    auth: { privateKeyFile: ${s.clientKeyPath} }\n    hostKey: { fingerprint: "${s.hostFingerprint}" }\n`,
    );
    const r = await runCli(['poll', '--config', cfg, '--once']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^adsl_poll,host=dsl-2 duration_ms=[\d.]+,success=false,error_class="command" \d+\n$/);
  });

  it('runs on its schedule until SIGTERM, then shuts down cleanly', async () => {
    const cfg = join(s.dir, 'loop.yaml');
    writeFileSync(
      cfg,
      `jitter: 0\nrouters:\n  - name: dsl-3\n    address: 127.0.0.1\n    port: ${s.port}\n    user: ${s.user}\n    interval: 1\n    command: cat test/fixtures/adsl/broadcom-xdslctl-info-stats-1.txt\n    auth: { privateKeyFile: ${s.clientKeyPath} }\n    hostKey: { fingerprint: "${s.hostFingerprint}" }\n`,
    );
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^INFLUX/.test(k)));
    const child = spawn(process.execPath, [main, 'poll', '--config', cfg], {
      cwd: repo,
      env: clean,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      while ((stdout.match(/^adsl_poll/gm) ?? []).length < 2 && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.equal(code, 0, stderr);
      assert.ok((stdout.match(/^adsl_poll,host=dsl-3 .*success=true/gm) ?? []).length >= 2);
      assert.match(stderr, /"msg":"poller stopped"/);
    } finally {
      clearTimeout(killer);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
