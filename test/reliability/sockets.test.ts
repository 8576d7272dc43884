/**
 * Start-up never harms what is already there: a busy socket is alive, only a refused one is
 * stale, an existing directory keeps its mode and owner, a path too long for a Unix socket is
 * refused before anything is created, and hosts racing for one directory end with a coded line.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { probeInfo } from '../../src/probe/index.js';
import { HostProcess } from '../helpers/index.js';
import { fatalLine, runServe } from './serve-run.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

const roots: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  roots.push(dir);
  return dir;
}

/**
 * Another process listening on `path` with a backlog of 1 and an event loop that never turns, so
 * it never accepts: once its queue is full, connect() answers EAGAIN.
 */
async function busyListener(path: string): Promise<ChildProcess> {
  const script = `const s = require('node:net').createServer();
s.listen({ path: ${JSON.stringify(path)}, backlog: 1 }, () => { process.stdout.write('ready\\n'); for (;;) {} });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  return child;
}

/** Connects until connect() fails; returns the open sockets and the error code that ended it. */
async function fillQueue(path: string): Promise<{ open: Socket[]; code: string | undefined }> {
  const open: Socket[] = [];
  for (let i = 0; i < 64; i++) {
    const result = await new Promise<Socket | string>((resolve) => {
      const s = connect(path);
      s.once('connect', () => resolve(s));
      s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    if (typeof result === 'string') return { open, code: result };
    open.push(result);
  }
  return { open, code: undefined };
}

/** A socket file nobody listens on, as a SIGKILLed host leaves it. */
async function staleSocket(path: string): Promise<void> {
  const script = `require('node:net').createServer().listen(${JSON.stringify(path)}, () => { process.stdout.write('ready\\n'); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()));
  child.kill('SIGKILL');
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
  assert.ok(lstatSync(path).isSocket());
}

describe('socket files at start-up', () => {
  after(() => {
    for (const dir of roots) rmSync(dir, { recursive: true, force: true });
  });

  it('treats a socket whose accept queue is full (EAGAIN) as alive and leaves it in place', async () => {
    const dir = tempDir('kudf-busy-');
    const path = join(dir, 'mirror.sock');
    const listener = await busyListener(path);
    const { open, code } = await fillQueue(path);
    try {
      assert.equal(code, 'EAGAIN', 'the queue is full');
      const run = await runServe(['--socket-dir', dir, '--functions', 'mirror', '--threads', '0']);
      assert.equal(run.code, 1);
      assert.equal(fatalLine(run)['code'], 'KUDF_SOCKET_IN_USE');
      assert.ok(lstatSync(path).isSocket(), 'the busy socket file is still there');
    } finally {
      for (const s of open) s.destroy();
      listener.kill('SIGKILL');
    }
  });

  it('replaces a socket that refuses connections, and logs the path it replaced', async () => {
    const dir = tempDir('kudf-stale-');
    const path = join(dir, 'mirror.sock');
    await staleSocket(path);
    const host = await HostProcess.start(['--threads', '0', '--functions', 'mirror'], { socketDir: dir });
    try {
      const warned = host.logs.find((l) => l.msg === 'replaced a stale socket file (nothing answered on it)');
      assert.equal(warned?.['socket'], path);
      assert.equal((await probeInfo({ socket: path }, 2000)).wants, 'stream');
    } finally {
      await host.stop();
    }
  });

  it('says so when its socket file is removed from outside while it runs, and does not remove a file that is no longer its own', async () => {
    const dir = tempDir('kudf-removed-');
    const host = await HostProcess.start(['--threads', '0', '--functions', 'mirror,edgeDetect'], { socketDir: dir });
    unlinkSync(host.socket('mirror'));
    const line = await host.waitForLog((l) => l['code'] === 'KUDF_SOCKET_REMOVED');
    assert.equal(line['socket'], host.socket('mirror'));
    assert.equal(line.level, 50);
    // Someone else's socket now at the other path: the host's shutdown must leave it.
    unlinkSync(host.socket('edgeDetect'));
    await staleSocket(host.socket('edgeDetect'));
    await host.stop();
    assert.ok(
      lstatSync(join(dir, 'edgeDetect.sock')).isSocket(),
      'a socket file the host did not make survives its shutdown',
    );
  });

  it('leaves the mode and owner of an existing directory alone, also when another user runs it', async () => {
    const dir = tempDir('kudf-shared-');
    chmodSync(dir, 0o1777);
    const before = statSync(dir);
    // As root, run the host as nobody in a root-owned shared directory: it must neither need nor
    // try to chmod it. As any other user the directory is its own, and the mode must stay too.
    const asOther = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const host = await HostProcess.start(['--threads', '0', '--functions', 'mirror', '--dir-mode', '750'], {
      socketDir: dir,
      ...asOther,
    });
    try {
      const now = statSync(dir);
      assert.equal((now.mode & 0o7777).toString(8), '1777');
      assert.equal(now.uid, before.uid);
      assert.equal(now.gid, before.gid);
      assert.equal((await probeInfo({ socket: host.socket('mirror') }, 2000)).wants, 'stream');
    } finally {
      await host.stop();
    }
  });

  it('gives a directory it creates the configured mode', async () => {
    const dir = join(tempDir('kudf-created-'), 'a', 'b');
    const host = await HostProcess.start(['--threads', '0', '--functions', 'mirror', '--dir-mode', '710'], {
      socketDir: dir,
    });
    try {
      assert.equal((statSync(dir).mode & 0o777).toString(8), '710');
    } finally {
      await host.stop();
    }
  });

  it('refuses a socket path over 107 bytes before creating anything', async () => {
    const parent = tempDir('kudf-long-');
    const dir = join(parent, 'd'.repeat(Math.max(1, 108 - parent.length - '/edgeDetect.sock'.length)));
    assert.ok(Buffer.byteLength(join(dir, 'edgeDetect.sock')) > 107);
    assert.ok(Buffer.byteLength(join(dir, 'mirror.sock')) <= 107, 'a shorter path of the same host would fit');
    const run = await runServe(['--socket-dir', dir, '--functions', 'mirror,edgeDetect', '--threads', '0']);
    assert.equal(run.code, 2, 'a path the user gave is a usage error');
    const fatal = fatalLine(run);
    assert.equal(fatal['code'], 'KUDF_SOCKET_PATH_TOO_LONG');
    assert.match(String(fatal['err']), /edgeDetect\.sock is \d+ bytes, over the 107/);
    assert.equal(existsSync(dir), false, 'the directory was not created');
  });

  it('fails at once with a coded line on a socket directory that cannot be created (under /proc)', async () => {
    const run = await runServe(['--socket-dir', '/proc/kudf-test/sockets', '--functions', 'mirror', '--threads', '0']);
    assert.equal(run.killed, false, 'it exited on its own');
    assert.equal(run.code, 1);
    assert.equal(fatalLine(run)['code'], 'KUDF_SOCKET_DIR_FAILED');
  });

  it('ends every start race over stale sockets with one host serving and any loser exiting with a coded line', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = tempDir('kudf-race-');
      mkdirSync(dir, { recursive: true });
      for (const udf of ['mirror', 'edgeDetect', 'movingAverage']) await staleSocket(join(dir, `${udf}.sock`));
      const args = ['--socket-dir', dir, '--functions', 'mirror,edgeDetect,movingAverage', '--threads', '1'];
      const hosts = [
        HostProcess.start(args.slice(2), { socketDir: dir }),
        HostProcess.start(args.slice(2), { socketDir: dir }),
      ];
      const outcomes = await Promise.allSettled(hosts);
      const winners = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      // Stopped whatever the assertions find: a host left running would keep this file's test
      // process alive.
      try {
        for (const o of outcomes) {
          if (o.status === 'rejected')
            assert.match(
              String(o.reason),
              /"code":"(KUDF_SOCKET_IN_USE|KUDF_SOCKET_START_RACE)"/,
              `round ${round}: the loser said why`,
            );
        }
        assert.ok(winners.length >= 1, `round ${round}: a host serves`);
        for (const host of winners) {
          for (const udf of ['mirror', 'edgeDetect', 'movingAverage'])
            assert.equal((await probeInfo({ socket: host.socket(udf) }, 2000)).wants !== undefined, true);
        }
      } finally {
        for (const host of winners) await host.stop();
      }
    }
  });
});
