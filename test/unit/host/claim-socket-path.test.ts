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

const closed = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

/**
 * Runs `body` with a listener at `path`, and closes whichever listener `body` leaves in
 * `held.server` however it ends (a body may swap in another one).
 */
async function withSocketFile(path: string, body: (held: { server: Server }) => Promise<void>): Promise<void> {
  const held = { server: await socketFile(path) };
  try {
    await body(held);
  } finally {
    if (held.server.listening) await closed(held.server);
  }
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

const inUse = (err: Error & { code?: string }): boolean => err.code === 'KUDF_SOCKET_IN_USE';

describe('claiming a socket path at start-up', () => {
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kudf-claim-'));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves a file that refuses once and then answers: another host was between bind and listen', async () => {
    const path = join(dir, 'starting.sock');
    await withSocketFile(path, async () => {
      const s = scripted(['stale', 'alive']);
      await assert.rejects(claimSocketPath(path, { probePath: s.probe }), inUse);
      assert.ok(existsSync(path), 'the starting host lost its socket file');
      assert.equal(s.asked.length, 2);
      assert.ok((s.asked[1] as number) - (s.asked[0] as number) >= STALE_RECHECK_MS - 1, JSON.stringify(s.asked));
    });
  });

  it('removes a file that refuses twice', async () => {
    const path = join(dir, 'stale.sock');
    await withSocketFile(path, async () => {
      const s = scripted(['stale', 'stale']);
      assert.equal(await claimSocketPath(path, { probePath: s.probe }), 'replaced-stale');
      assert.equal(existsSync(path), false);
    });
  });

  it('refuses a file that answers at once, without waiting to probe again', async () => {
    const path = join(dir, 'live.sock');
    await withSocketFile(path, async () => {
      const s = scripted(['alive']);
      await assert.rejects(claimSocketPath(path, { probePath: s.probe }), inUse);
      assert.equal(s.asked.length, 1);
    });
  });

  it('refuses a live socket with the real probe', async () => {
    const path = join(dir, 'live-real.sock');
    await withSocketFile(path, async () => {
      await assert.rejects(claimSocketPath(path), inUse);
      assert.ok(existsSync(path));
    });
  });

  it('removes a real stale socket with the real probe', async () => {
    // What a killed host leaves: its socket file, with nobody listening.
    const path = join(dir, 'stale-real.sock');
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
    const path = join(dir, 'looked.sock');
    await withSocketFile(path, async () => {
      const ahead = scripted(['stale']);
      const earlier = await lookForStale(path, ahead.probe);
      assert.ok(earlier !== undefined);
      const s = scripted(['stale']);
      assert.equal(await claimSocketPath(path, { probePath: s.probe, earlier }), 'replaced-stale');
      assert.equal(s.asked.length, 1);
      assert.ok(
        (s.asked[0] as number) - (ahead.asked[0] as number) >= STALE_RECHECK_MS - 1,
        JSON.stringify([ahead, s]),
      );
      assert.equal(existsSync(path), false);
    });
  });

  it('keeps a file looked at ahead that answers at the second probe', async () => {
    const path = join(dir, 'looked-starting.sock');
    await withSocketFile(path, async () => {
      const earlier = await lookForStale(path, scripted(['stale']).probe);
      const s = scripted(['alive']);
      await assert.rejects(claimSocketPath(path, { probePath: s.probe, earlier }), inUse);
      assert.ok(existsSync(path));
    });
  });

  it('probes a file replaced since the look twice, as if never looked at', async () => {
    const path = join(dir, 'replaced.sock');
    await withSocketFile(path, async (held) => {
      const earlier = await lookForStale(path, scripted(['stale']).probe);
      // The new file is made while the old one exists, so it cannot get the old inode back.
      const next = join(dir, 'replacing.sock');
      const nextServer = await socketFile(next);
      await closed(held.server);
      held.server = nextServer;
      renameSync(next, path);
      const s = scripted(['stale', 'stale']);
      assert.equal(await claimSocketPath(path, { probePath: s.probe, earlier }), 'replaced-stale');
      assert.equal(s.asked.length, 2);
      assert.ok((s.asked[1] as number) - (s.asked[0] as number) >= STALE_RECHECK_MS - 1, JSON.stringify(s.asked));
    });
  });

  it('probes twice a file made at the same path after the look, even where it gets the inode back', async (t) => {
    const path = join(dir, 'reused.sock');
    await withSocketFile(path, async (held) => {
      const earlier = await lookForStale(path, scripted(['stale']).probe);
      // Closing removes the file; ext4 then gives the next file made in the directory its inode.
      await closed(held.server);
      await new Promise((r) => setTimeout(r, 20));
      held.server = await socketFile(path);
      t.diagnostic(`inode ${statSync(path).ino === Number(earlier?.ino) ? 'reused' : 'not reused'} by this filesystem`);
      const s = scripted(['stale', 'stale']);
      assert.equal(await claimSocketPath(path, { probePath: s.probe, earlier }), 'replaced-stale');
      assert.equal(s.asked.length, 2, 'a first look at another file counted for this one');
    });
  });

  it('looks ahead at stale sockets only: not at a live one, a missing path or a plain file', async () => {
    const path = join(dir, 'look-live.sock');
    await withSocketFile(path, async () => {
      assert.equal(await lookForStale(path), undefined);
    });
    assert.equal(await lookForStale(join(dir, 'missing.sock')), undefined);
    const plain = join(dir, 'plain.sock');
    writeFileSync(plain, 'not a socket');
    assert.equal(await lookForStale(plain, scripted([]).probe), undefined);
  });
});
