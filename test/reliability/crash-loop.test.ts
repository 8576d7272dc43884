/**
 * A function file edited or deleted while the host runs never crash-loops its workers: a
 * replacement worker loads only the files the host started with, a slot whose replacement fails
 * backs off, new sessions go to the workers that are up (or to the main thread when none is),
 * `kudf health` says the host is degraded, and a slot comes back once the file is as it was.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { HostProcess, KUDF, REPO_ROOT, TEST_UDF_DIR, type LogLine } from '../helpers/index.js';
import { seqPoint } from './raw-peer.js';
import { TaskPeer, seqPoints } from './task-peer.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

function health(socketDir: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [KUDF, 'health', '--socket-dir', socketDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

/** Opens a task and returns it with the worker it runs on (read from the host's log). */
async function task(host: HostProcess, udf: string, id: string): Promise<{ peer: TaskPeer; place: string }> {
  const peer = await TaskPeer.task(host.socket(udf), id);
  const init = await host.waitForLog((l) => l.msg === 'session initialised' && l['taskID'] === id);
  const accepted = await host.waitForLog((l) => l.msg === 'connection accepted' && l['conn'] === init['conn']);
  return { peer, place: String(accepted['place']) };
}

/** A task that mirrors 10 points and ends cleanly. */
async function mirrors(host: HostProcess, udf: string, id: string): Promise<string> {
  const { peer, place } = await task(host, udf, id);
  await peer.write(seqPoints(0, 10));
  peer.end();
  await peer.closed;
  assert.deepEqual(peer.errors(), [], `${id} on ${place}`);
  assert.deepEqual(peer.seqs(), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], `${id} on ${place}`);
  return place;
}

/** Ends the worker a `crash` task runs on, through process.exit in function code. */
async function crashWorkerOf(host: HostProcess, id: string): Promise<string> {
  const { peer, place } = await task(host, 'crash', id);
  await peer.write([{ kind: 'point', point: seqPoint(0, { mode: 'exit' }) }]);
  await peer.closed;
  assert.match(peer.errors().join(), /session lost: worker/);
  return place;
}

const startFailures = (host: HostProcess): LogLine[] =>
  host.logs.filter((l) => l['code'] === 'KUDF_HOST_WORKER_START_FAILED');

describe('a function file changed while the host runs', () => {
  const root = mkdtempSync(join(tmpdir(), 'kudf-loop-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('backs off the failing slot, sends new sessions elsewhere, reports degraded, and recovers once the file is back', async () => {
    const udfDir = join(root, 'udfs');
    mkdirSync(udfDir);
    const crashFile = join(udfDir, 'crash.mjs');
    // The fixture, importing the SDK by path: outside the repository the package name does not resolve.
    const sdk = pathToFileURL(join(REPO_ROOT, 'dist/src/sdk/index.js')).href;
    writeFileSync(
      crashFile,
      readFileSync(join(TEST_UDF_DIR, 'crash.mjs'), 'utf8').replace("'kapacitor-udf-host/sdk'", JSON.stringify(sdk)),
    );
    const original = readFileSync(crashFile);
    const host = await HostProcess.start([
      '--threads',
      '2',
      '--functions',
      'mirror,crash',
      '--log-level',
      'debug',
      '--udf-dir',
      udfDir,
    ]);
    try {
      assert.equal((await health(host.socketDir)).code, 0, 'healthy at start');
      // The workers start with the first task (a health probe asks only for Info): before the edit.
      await mirrors(host, 'mirror', 'before-edit');

      // Edited: the replacement of the crashed worker refuses the changed file.
      writeFileSync(crashFile, `${original.toString()}\n// edited\n`);
      const first = await crashWorkerOf(host, 'crasher-1');
      const failure = await host.waitForLog((l) => l['code'] === 'KUDF_HOST_WORKER_START_FAILED');
      assert.match(String(failure['err']), /crash\.mjs: changed since it was loaded; `kudf reload`/);
      const degraded = await health(host.socketDir);
      assert.equal(degraded.code, 1);
      assert.match(degraded.out, /DEGRADED: 1 of 2 workers up/);

      // New sessions, of the built-in and of the changed function, all go to the worker that is up.
      for (let i = 0; i < 6; i++)
        assert.notEqual(await mirrors(host, i % 2 === 0 ? 'mirror' : 'crash', `while-degraded-${i}`), first);

      // Deleted, and the other worker lost too: sessions run on the main thread meanwhile.
      unlinkSync(crashFile);
      await crashWorkerOf(host, 'crasher-2');
      await host.waitForLog(
        (l) => l['code'] === 'KUDF_HOST_WORKER_START_FAILED' && /cannot be read any more/.test(String(l['err'])),
      );
      for (let i = 0; i < 4; i++)
        assert.equal(await mirrors(host, i % 2 === 0 ? 'mirror' : 'crash', `no-worker-${i}`), 'main');
      assert.match((await health(host.socketDir)).out, /DEGRADED: 0 of 2 workers up, \d+ sessions on the main thread/);

      // No crash loop: a few spaced-out attempts, not one per few milliseconds.
      const before = startFailures(host).length;
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const during = startFailures(host).length - before;
      assert.ok(during <= 4, `${during} failed starts in 3 s`);
      const delays = startFailures(host).map((l) => Number(l['retryInMs']));
      assert.ok(
        delays.some((d) => d >= 2000),
        `the delay grows (${delays.join(', ')} ms)`,
      );

      // The file as the host started with it: the slots come back and take sessions again.
      writeFileSync(crashFile, original);
      await host.waitForLog((l) => l.msg === 'worker slot up again');
      assert.notEqual(await mirrors(host, 'crash', 'after-recovery'), 'main');
      assert.ok(!host.logs.some((l) => l.level >= 60), 'no fatal line');
    } finally {
      await host.stop();
    }
  });
});
