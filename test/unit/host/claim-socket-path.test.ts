/**
 * Whether a socket file left at a function's path is removed at start-up: only a stale one, and
 * stale means refusing connections twice, STALE_RECHECK_MS apart. A host starting beside this
 * one refuses for the moment between its bind and its listen; taking its file for stale then
 * would leave it serving a socket nobody can reach.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimSocketPath, lookForStale, STALE_RECHECK_MS, type Probe } from '../../../src/host/internal.js';

/** A socket file with a listener behind it (the scripted probes decide what it is taken for). */
async function socketFile(path: string): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return server;
}

/** A probe that answers from a script, and records when it was asked. */
function scripted(answers: Probe[]): { probe: (path: string) => Promise<Probe>; asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    probe: () => {
      asked.push(performance.now());
      const answer = answers.shift();
      if (answer === undefined) throw new Error('probed more often than scripted');
      return Promise.resolve(answer);
    },
  };
}

describe('claiming a socket path at start-up', () => {
  let dir: string;
  let server: Server;
  let path: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kudf-claim-'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves a file that refuses once and then answers: another host was between bind and listen', async () => {
    path = join(dir, 'starting.sock');
    server = await socketFile(path);
    const s = scripted(['stale', 'alive']);
    await assert.rejects(
      claimSocketPath(path, s.probe),
      (err: Error & { code?: string }) => err.code === 'KUDF_SOCKET_IN_USE',
    );
    assert.ok(existsSync(path), 'the starting host lost its socket file');
    assert.equal(s.asked.length, 2);
    assert.ok((s.asked[1] as number) - (s.asked[0] as number) >= STALE_RECHECK_MS - 1, JSON.stringify(s.asked));
    server.close();
  });

  it('removes a file that refuses twice', async () => {
    path = join(dir, 'stale.sock');
    server = await socketFile(path);
    const s = scripted(['stale', 'stale']);
    assert.equal(await claimSocketPath(path, s.probe), 'replaced-stale');
    assert.equal(existsSync(path), false);
    server.close();
  });

  it('refuses a file that answers at once, without waiting to probe again', async () => {
    path = join(dir, 'live.sock');
    server = await socketFile(path);
    const s = scripted(['alive']);
    await assert.rejects(
      claimSocketPath(path, s.probe),
      (err: Error & { code?: string }) => err.code === 'KUDF_SOCKET_IN_USE',
    );
    assert.equal(s.asked.length, 1);
    server.close();
  });

  it('removes a real stale socket with the real probe, and refuses a live one', async () => {
    path = join(dir, 'live-real.sock');
    server = await socketFile(path);
    await assert.rejects(claimSocketPath(path), (err: Error & { code?: string }) => err.code === 'KUDF_SOCKET_IN_USE');
    server.close();
    // What a killed host leaves: its socket file, with nobody listening.
    path = join(dir, 'stale-real.sock');
    const res = spawnSync(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    assert.equal(res.signal, 'SIGKILL');
    assert.ok(existsSync(path));
    assert.equal(await claimSocketPath(path), 'replaced-stale');
    assert.equal(existsSync(path), false);
  });
  it('takes a first look taken ahead as the first probe of the same file: one more probe, STALE_RECHECK_MS after it', async () => {
    path = join(dir, 'looked.sock');
    server = await socketFile(path);
    const ahead = scripted(['stale']);
    const look = await lookForStale(path, ahead.probe);
    assert.ok(look !== undefined);
    const s = scripted(['stale']);
    assert.equal(await claimSocketPath(path, s.probe, look), 'replaced-stale');
    assert.equal(s.asked.length, 1);
    assert.ok((s.asked[0] as number) - (ahead.asked[0] as number) >= STALE_RECHECK_MS - 1, JSON.stringify([ahead, s]));
    assert.equal(existsSync(path), false);
    server.close();
  });

  it('keeps a file looked at ahead that answers at the second probe', async () => {
    path = join(dir, 'looked-starting.sock');
    server = await socketFile(path);
    const look = await lookForStale(path, scripted(['stale']).probe);
    const s = scripted(['alive']);
    await assert.rejects(
      claimSocketPath(path, s.probe, look),
      (err: Error & { code?: string }) => err.code === 'KUDF_SOCKET_IN_USE',
    );
    assert.ok(existsSync(path));
    server.close();
  });

  it('probes a file replaced since the look twice, as if never looked at', async () => {
    path = join(dir, 'replaced.sock');
    server = await socketFile(path);
    const look = await lookForStale(path, scripted(['stale']).probe);
    // The new file is made while the old one exists, so it cannot get the old inode back.
    const next = join(dir, 'replacing.sock');
    const nextServer = await socketFile(next);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    renameSync(next, path);
    server = nextServer;
    const s = scripted(['stale', 'stale']);
    assert.equal(await claimSocketPath(path, s.probe, look), 'replaced-stale');
    assert.equal(s.asked.length, 2);
    assert.ok((s.asked[1] as number) - (s.asked[0] as number) >= STALE_RECHECK_MS - 1, JSON.stringify(s.asked));
    server.close();
  });

  it('probes twice a file made at the same path after the look, even where it gets the inode back', async (t) => {
    path = join(dir, 'reused.sock');
    server = await socketFile(path);
    const look = await lookForStale(path, scripted(['stale']).probe);
    // Closing removes the file; ext4 then gives the next file made in the directory its inode.
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise((r) => setTimeout(r, 20));
    server = await socketFile(path);
    t.diagnostic(`inode ${statSync(path).ino === Number(look?.ino) ? 'reused' : 'not reused'} by this filesystem`);
    const s = scripted(['stale', 'stale']);
    try {
      assert.equal(await claimSocketPath(path, s.probe, look), 'replaced-stale');
      assert.equal(s.asked.length, 2, 'a first look at another file counted for this one');
    } finally {
      server.close();
    }
  });

  it('looks ahead at stale sockets only: not at a live one, a missing path or a plain file', async () => {
    path = join(dir, 'look-live.sock');
    server = await socketFile(path);
    assert.equal(await lookForStale(path), undefined);
    server.close();
    assert.equal(await lookForStale(join(dir, 'missing.sock')), undefined);
    const plain = join(dir, 'plain.sock');
    writeFileSync(plain, 'not a socket');
    assert.equal(await lookForStale(plain, scripted([]).probe), undefined);
  });
});
