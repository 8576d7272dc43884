/**
 * Security properties checked end to end: socket and directory permissions, `--udf-dir`
 * confinement, TLS verification of the InfluxDB writer (self-signed certificate made at test
 * time), and secrets kept out of the logs on the TLS error path.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { probeInfo } from '../../src/probe/index.js';
import { HostProcess, KUDF, REPO_ROOT, selfSignedCert } from '../helpers/index.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

const SDK_URL = pathToFileURL(join(REPO_ROOT, 'dist/src/sdk/index.js')).href;

/** A group id that exists on this machine and differs from ours, so that a chown is visible. */
function otherGroup(): number {
  const own = process.getgid?.() ?? 0;
  for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
    const gid = Number(line.split(':')[2]);
    if (
      Number.isInteger(gid) &&
      gid !== own &&
      gid > 0 &&
      (process.getuid?.() === 0 || (process.getgroups?.() ?? []).includes(gid))
    )
      return gid;
  }
  return own;
}

function udfSource(name: string): string {
  return `import { defineUdf } from ${JSON.stringify(SDK_URL)};
export default defineUdf({ name: ${JSON.stringify(name)}, description: 'test', wants: 'stream', provides: 'stream', options: {},
  create: () => ({ point(p, out) { out.emit(p); } }) });
`;
}

function runServe(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [KUDF, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    }),
  );
}

describe('socket permissions', () => {
  it('gives the socket directory and every socket file the configured modes and group', async () => {
    const gid = otherGroup();
    const parent = mkdtempSync(join(tmpdir(), 'kudf-perm-'));
    const dir = join(parent, 'sockets');
    const host = await HostProcess.start(
      [
        '--threads',
        '0',
        '--functions',
        'mirror,edgeDetect',
        '--socket-mode',
        '660',
        '--socket-group',
        String(gid),
        '--dir-mode',
        '750',
      ],
      {
        socketDir: dir,
      },
    );
    try {
      const d = statSync(dir);
      assert.equal(d.mode & 0o777, 0o750, `directory mode ${(d.mode & 0o777).toString(8)}`);
      assert.equal(d.gid, gid);
      for (const udf of ['mirror', 'edgeDetect']) {
        const s = statSync(host.socket(udf));
        assert.ok(s.isSocket());
        assert.equal(s.mode & 0o777, 0o660, `${udf}.sock mode ${(s.mode & 0o777).toString(8)}`);
        assert.equal(s.gid, gid, `${udf}.sock group`);
      }
      assert.equal((await probeInfo({ socket: host.socket('mirror') }, 2000)).wants, 'stream');
    } finally {
      await host.stop();
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

describe('--udf-dir loads code only from the directory given', () => {
  let root: string;
  let udfDir: string;

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'kudf-udfdir-'));
    udfDir = join(root, 'udfs');
    mkdirSync(udfDir);
    writeFileSync(join(udfDir, 'inside.mjs'), udfSource('inside'));
    mkdirSync(join(udfDir, 'nested'));
    writeFileSync(join(udfDir, 'nested', 'deeper.mjs'), udfSource('deeper'));
    // A directory whose name looks like a module must not be imported either.
    mkdirSync(join(udfDir, 'looks-like.mjs'));
    writeFileSync(join(udfDir, 'notes.txt'), 'not code');
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  it('serves the top-level modules and ignores subdirectories and other files', async () => {
    const socketDir = join(root, 'sock-ok');
    const child = spawn(
      process.execPath,
      [KUDF, 'serve', '--socket-dir', socketDir, '--udf-dir', udfDir, '--threads', '0'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const deadline = Date.now() + 10_000;
      while (!out.includes('host ready') && Date.now() < deadline && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 50));
      assert.match(out, /host ready/);
      assert.match(out, /inside\.sock/);
      assert.doesNotMatch(out, /deeper/);
      assert.equal((await probeInfo({ socket: join(socketDir, 'inside.sock') }, 2000)).wants, 'stream');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('refuses to start when a module in the directory is a symlink to a file outside it, naming the file', async () => {
    const outside = join(root, 'outside.mjs');
    writeFileSync(outside, udfSource('outside'));
    const link = join(udfDir, 'sneaky.mjs');
    symlinkSync(outside, link);
    try {
      const r = await runServe(['--socket-dir', join(root, 'sock-bad'), '--udf-dir', udfDir, '--threads', '0']);
      assert.notEqual(r.code, 0);
      assert.match(r.out, /sneaky\.mjs: resolves outside --udf-dir/);
      assert.doesNotMatch(r.out, /host ready/);
    } finally {
      rmSync(link);
    }
  });

  it('refuses a symlink that escapes through a relative path', async () => {
    const link = join(udfDir, 'relative.mjs');
    symlinkSync('../outside-rel.mjs', link);
    writeFileSync(join(root, 'outside-rel.mjs'), udfSource('outsideRel'));
    try {
      const r = await runServe(['--socket-dir', join(root, 'sock-rel'), '--udf-dir', udfDir, '--threads', '0']);
      assert.notEqual(r.code, 0);
      assert.match(r.out, /relative\.mjs: resolves outside --udf-dir/);
    } finally {
      rmSync(link);
    }
  });
});

describe('TLS verification of the InfluxDB writer', () => {
  let dir: string;
  let server: Server;
  let port: number;
  const requests: Array<{ url: string; auth: boolean }> = [];
  const PASSWORD = 'pw-Zq7-never-log-me';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kudf-tls-'));
    selfSignedCert(dir, '/CN=127.0.0.1');
    server = createServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (req, res) => {
        requests.push({ url: req.url ?? '', auth: req.headers.authorization !== undefined });
        req.resume();
        req.on('end', () => {
          res.statusCode = 204;
          res.end();
        });
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  function publish(extra: string[], queue: string): Promise<{ code: number | null; out: string }> {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INFLUX')));
    const child = spawn(
      process.execPath,
      [
        KUDF,
        'publish',
        '--influx-url',
        `https://127.0.0.1:${port}`,
        '--influx-db',
        'tls',
        '--queue-dir',
        join(dir, queue),
        '--influx-timeout',
        '1500',
        '--log-level',
        'debug',
        ...extra,
      ],
      { env: { ...env, INFLUXDB_USERNAME: 'writer', INFLUXDB_PASSWORD: PASSWORD }, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end('m v=1i 1\n');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    return new Promise((resolve) =>
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, out });
      }),
    );
  }

  it('refuses a self-signed certificate by default: nothing is sent, the cause is logged, the password is not', async () => {
    const before = requests.length;
    const r = await publish([], 'q-verify');
    assert.equal(r.code, 3, r.out);
    assert.equal(requests.length, before, 'no request reached the server');
    assert.match(r.out, /self[- ]signed|certificate/i);
    assert.ok(!r.out.includes(PASSWORD), 'the password is not in the output');
    assert.ok(!r.out.includes(Buffer.from(`writer:${PASSWORD}`).toString('base64')), 'nor its basic-auth form');
  });

  it('accepts the same server only with --influx-insecure-skip-verify', async () => {
    const before = requests.length;
    const r = await publish(['--influx-insecure-skip-verify'], 'q-skip');
    assert.equal(r.code, 0, r.out);
    assert.ok(requests.length > before, 'the write reached the server');
    assert.ok(requests.slice(before).every((q) => q.auth && q.url.startsWith('/write?')));
    assert.ok(!r.out.includes(PASSWORD));
  });

  it('logs a warning when certificate verification is turned off', async () => {
    const r = await publish(['--influx-insecure-skip-verify'], 'q-warn');
    assert.equal(r.code, 0, r.out);
    assert.ok(
      r.out.split('\n').some((l) => /"level":40/.test(l) && /verif|insecure|tls/i.test(l)),
      'a warning names the disabled verification',
    );
  });
});
