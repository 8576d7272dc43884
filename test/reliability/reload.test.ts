/**
 * Reloading function code in a running host (SIGHUP, `kudf reload`): sessions of a changed
 * function move to the new code through its snapshot and restore, between two frames, with
 * nothing lost, repeated or reordered and nothing said to the peer; a version that no longer
 * fits keeps them on the old code; a file that fails to load changes nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KapacitorClient } from '../../src/probe/index.js';
import type { Point } from '../../src/protocol/index.js';
import { HostProcess, KUDF, type LogLine, writeTally } from '../helpers/index.js';

function point(i: number, group: string): Point {
  return {
    time: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n,
    name: 'load',
    database: 'db',
    retentionPolicy: 'autogen',
    group,
    dimensions: ['g'],
    byName: false,
    tags: { g: group },
    fields: { v: i % 7 },
  };
}

interface Out {
  group: string;
  count: number;
  sum: number;
  code: number;
}

function outputs(client: KapacitorClient): Out[] {
  return client.data.flatMap((r) =>
    r.kind === 'point'
      ? [
          {
            group: r.point.group,
            count: Number(r.point.fields['count']),
            sum: Number(r.point.fields['sum']),
            code: Number(r.point.fields['code']),
          },
        ]
      : [],
  );
}

/** Every group counted 1, 2, 3... with the sum of what was sent: nothing lost, repeated or reordered. */
function assertUnbroken(out: Out[], sent: Point[]): void {
  assert.equal(out.length, sent.length, 'one output point per input point');
  const seen = new Map<string, { count: number; sum: number }>();
  out.forEach((o, i) => {
    const input = sent[i] as Point;
    assert.equal(o.group, input.group, `output ${i} is for the input at the same place`);
    const g = seen.get(o.group) ?? { count: 0, sum: 0 };
    g.count += 1;
    g.sum += input.fields['v'] as number;
    seen.set(o.group, g);
    assert.equal(o.count, g.count, `output ${i}: the running count goes on`);
    assert.equal(o.sum, g.sum, `output ${i}: the running sum goes on`);
  });
}

const lastLog = (host: HostProcess, test: (l: LogLine) => boolean): LogLine | undefined =>
  [...host.logs].reverse().find(test);

const reloads = (host: HostProcess): LogLine[] =>
  host.logs.filter((l) => l.msg.startsWith('functions reloaded') || l.msg.startsWith('reload failed'));

async function reloadBySignal(host: HostProcess): Promise<LogLine> {
  const before = reloads(host).length;
  host.child.kill('SIGHUP');
  return host.waitForLog(
    (l) =>
      (l.msg.startsWith('functions reloaded') || l.msg.startsWith('reload failed')) && reloads(host).length > before,
  );
}

function kudfReload(socketDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [KUDF, 'reload', '--socket-dir', socketDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

for (const threads of ['2', '0']) {
  describe(`reloading function code (--threads ${threads})`, () => {
    const root = mkdtempSync(join(tmpdir(), 'kudf-reload-'));
    const udfDir = join(root, 'udfs');
    let host: HostProcess;

    before(async () => {
      writeTally(udfDir, { code: 1 });
      host = await HostProcess.start(['--threads', threads, '--functions', 'mirror,tally'], { udfDir });
    });
    after(async () => {
      await host?.stop();
      rmSync(root, { recursive: true, force: true });
    });

    it('moves running sessions through 10 reloads while points stream, losing, repeating and reordering nothing', async () => {
      const clients = await Promise.all(
        [0, 1].map(() => KapacitorClient.connectSocket(host.socket('tally'), { timeoutMs: 5000 })),
      );
      for (const [i, c] of clients.entries()) assert.equal((await c.init([], `task-${i}`, 'tally2')).success, true);
      for (const c of clients) c.startKeepalives();
      const sent: Point[] = [];
      let next = 0;
      const sendSome = (n: number): void => {
        const batch = Array.from({ length: n }, () => point(next, `g${next++ % 5}`));
        sent.push(...batch);
        for (const c of clients) c.sendMany(batch.map((p) => ({ kind: 'point' as const, point: p })));
      };
      // A snapshot is answered after every frame before it: points sent before it ran on the code
      // that was live when it was sent, whatever the host had still to read at a reload.
      const settle = async (): Promise<void> => {
        for (const c of clients) await c.snapshot();
      };
      const base = reloads(host).length;
      sendSome(300);
      await settle();
      for (let v = 2; v <= 11; v++) {
        sendSome(300);
        writeTally(udfDir, { code: v });
        // Points keep coming while the host loads and switches.
        const done = reloadBySignal(host);
        for (let k = 0; k < 5; k++) {
          sendSome(40);
          await new Promise((r) => setImmediate(r));
        }
        const line = await done;
        assert.equal(line['outcome'], 'ok', JSON.stringify(line));
        assert.deepEqual(line['changed'], ['tally']);
        assert.equal(line['moved'], 2, 'both sessions moved');
        assert.equal(line['kept'], 0);
        // Some points on version v for certain, so that no version goes unseen.
        sendSome(40);
        await settle();
      }
      sendSome(300);
      for (const c of clients) await c.close();
      assert.equal(reloads(host).length - base, 10);
      for (const c of clients) {
        assert.equal(c.failed, undefined);
        const out = outputs(c);
        assertUnbroken(out, sent);
        const codes = out.map((o) => o.code);
        assert.deepEqual(
          codes.filter((code, i) => i === 0 || code !== codes[i - 1]),
          [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
          'the code version goes up one reload at a time, never back',
        );
      }
      assert.deepEqual(
        host.logs.filter((l) => l.level >= 50),
        [],
        'nothing logged as an error',
      );
    });

    it('answers `kudf reload` with what it did, and a new session runs the new code', async () => {
      writeTally(udfDir, { code: 20 });
      const r = await kudfReload(host.socketDir);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /: ok; changed: tally; sessions moved 0/);
      const c = await KapacitorClient.connectSocket(host.socket('tally'), { timeoutMs: 5000 });
      await c.init([]);
      c.sendMany([{ kind: 'point', point: point(1, 'a') }]);
      await c.close();
      assert.equal(outputs(c)[0]?.code, 20);
      const again = await kudfReload(host.socketDir);
      assert.equal(again.code, 0);
      assert.match(again.stdout, /: unchanged; changed: none/);
    });

    it('leaves everything as it was when a file fails to load, and says why', async () => {
      const c = await KapacitorClient.connectSocket(host.socket('tally'), { timeoutMs: 5000 });
      await c.init([]);
      c.sendMany([{ kind: 'point', point: point(1, 'a') }]);
      writeTally(udfDir, { code: 30, raw: 'this is not javascript;' });
      const r = await kudfReload(host.socketDir);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /failed, nothing changed: .*tally\.mjs/);
      const line = lastLog(host, (l) => l.msg.startsWith('reload failed'));
      assert.equal(line?.['code'], 'KUDF_RELOAD_FAILED');
      assert.match(String(line?.['file']), /tally\.mjs$/);
      writeTally(udfDir, { code: 31, raw: "throw new Error('broken at load');" });
      const thrown = await kudfReload(host.socketDir);
      assert.equal(thrown.code, 1);
      assert.match(thrown.stdout, /broken at load/);
      c.sendMany([{ kind: 'point', point: point(2, 'a') }]);
      await c.close();
      assert.equal(c.failed, undefined);
      assert.deepEqual(
        outputs(c).map((o) => [o.count, o.code]),
        [
          [1, 20],
          [2, 20],
        ],
        'the session went on with the code it had',
      );
      const fresh = await KapacitorClient.connectSocket(host.socket('tally'), { timeoutMs: 5000 });
      await fresh.init([]);
      fresh.sendMany([{ kind: 'point', point: point(1, 'a') }]);
      await fresh.close();
      assert.equal(outputs(fresh)[0]?.code, 20, 'new sessions too');
    });

    it('keeps running sessions on their code when the new version no longer fits them; new sessions get it', async () => {
      writeTally(udfDir, { code: 40 });
      assert.equal((await kudfReload(host.socketDir)).code, 0);
      const c = await KapacitorClient.connectSocket(host.socket('tally'), { timeoutMs: 5000 });
      await c.init([]);
      c.sendMany([{ kind: 'point', point: point(1, 'a') }]);
      writeTally(udfDir, { code: 41, snapshotVersion: 2 });
      const line = await reloadBySignal(host);
      assert.equal(line['moved'], 0);
      assert.equal(line['kept'], 1);
      const kept = lastLog(host, (l) => l['code'] === 'KUDF_RELOAD_KEPT');
      assert.match(String(kept?.['reason']), /snapshotVersion changed \(1 is now 2\)/);
      c.sendMany([{ kind: 'point', point: point(2, 'a') }]);
      const fresh = await KapacitorClient.connectSocket(host.socket('tally'), { timeoutMs: 5000 });
      await fresh.init([]);
      fresh.sendMany([{ kind: 'point', point: point(1, 'a') }]);
      await fresh.close();
      assert.equal(outputs(fresh)[0]?.code, 41);

      // Options: the running session was given field='v' (a string); now `field` is an int.
      writeTally(udfDir, { code: 42, snapshotVersion: 2, fieldType: 'int' });
      const changed = await reloadBySignal(host);
      assert.deepEqual(changed['restartKapacitorFor'], ['tally']);
      assert.match(changed.msg, /restart Kapacitor to use tally/);
      c.sendMany([{ kind: 'point', point: point(3, 'a') }]);
      await c.close();
      assert.deepEqual(
        outputs(c).map((o) => [o.count, o.code]),
        [
          [1, 40],
          [2, 40],
          [3, 40],
        ],
      );
    });

    it('moves a session inside a batch once the batch has ended', async () => {
      writeTally(udfDir, { code: 50 });
      assert.equal((await kudfReload(host.socketDir)).code, 0);
      const c = await KapacitorClient.connectSocket(host.socket('tally'), { timeoutMs: 5000 });
      await c.init([]);
      const begin = { name: 'load', group: 'a', tags: { g: 'a' }, size: 3n, byName: false };
      const inBatch = (i: number): Point => ({ ...point(i, 'a'), name: '', database: '', retentionPolicy: '' });
      c.sendMany([
        { kind: 'begin', begin },
        { kind: 'point', point: inBatch(1) },
        { kind: 'point', point: inBatch(2) },
      ]);
      writeTally(udfDir, { code: 51 });
      const line = await reloadBySignal(host);
      assert.equal(line['deferred'], 1);
      c.sendMany([
        { kind: 'point', point: inBatch(3) },
        { kind: 'end', end: { name: 'load', group: 'a', tags: { g: 'a' }, tmax: inBatch(3).time, byName: false } },
        { kind: 'point', point: point(4, 'a') },
      ]);
      await c.close();
      assert.deepEqual(
        outputs(c).map((o) => [o.count, o.code]),
        [
          [1, 50],
          [2, 50],
          [3, 50],
          [4, 51],
        ],
        'the whole batch on the old code, then the new code with the state',
      );
      assert.ok(
        host.logs.some((l) => l.msg === 'session moved to the reloaded code' && l['generation'] === line['generation']),
      );
    });

    it('does not serve a new function that --functions does not name', async () => {
      writeTally(udfDir, { code: 1, name: 'tally_b' }, 'tally-b.mjs');
      const line = await reloadBySignal(host);
      assert.deepEqual(line['added'], []);
      assert.equal(line['outcome'], 'unchanged', '--functions does not name it: it is not served');
    });
  });
}

describe('reload without --functions', () => {
  const root = mkdtempSync(join(tmpdir(), 'kudf-reload-new-'));
  const udfDir = join(root, 'udfs');
  let host: HostProcess;
  before(async () => {
    writeTally(udfDir, { code: 1 });
    host = await HostProcess.start(['--threads', '1', '--http', '127.0.0.1:0'], { udfDir });
  });
  after(async () => {
    await host?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('serves a new function on its own socket and says Kapacitor must restart to know it', async () => {
    writeTally(udfDir, { code: 7, name: 'tally_b' }, 'tally-b.mjs');
    const line = await reloadBySignal(host);
    assert.deepEqual(line['added'], ['tally_b']);
    assert.deepEqual(line['restartKapacitorFor'], ['tally_b']);
    const c = await KapacitorClient.connectSocket(host.socket('tally_b'), { timeoutMs: 5000 });
    assert.equal((await c.init([])).success, true);
    c.sendMany([{ kind: 'point', point: point(1, 'a') }]);
    await c.close();
    assert.equal(outputs(c)[0]?.code, 7);
  });

  it('keeps serving a function whose file was removed, with its old code', async () => {
    rmSync(join(udfDir, 'tally-b.mjs'));
    const line = await reloadBySignal(host);
    assert.deepEqual(line['removed'], ['tally_b']);
    const c = await KapacitorClient.connectSocket(host.socket('tally_b'), { timeoutMs: 5000 });
    assert.equal((await c.init([])).success, true);
    c.sendMany([{ kind: 'point', point: point(1, 'a') }]);
    await c.close();
    assert.equal(outputs(c)[0]?.code, 7);
  });

  it('keeps a session of a function without snapshot/restore on its code: its state could not go along', async () => {
    writeTally(udfDir, { code: 60, stateful: false });
    assert.equal((await reloadBySignal(host))['outcome'], 'ok');
    const c = await KapacitorClient.connectSocket(host.socket('tally'), { timeoutMs: 5000 });
    await c.init([]);
    c.sendMany([{ kind: 'point', point: point(1, 'a') }]);
    writeTally(udfDir, { code: 61, stateful: false });
    const line = await reloadBySignal(host);
    assert.equal(line['kept'], 1);
    assert.match(String(lastLog(host, (l) => l['code'] === 'KUDF_RELOAD_KEPT')?.['reason']), /no snapshot\(\)/);
    c.sendMany([{ kind: 'point', point: point(2, 'a') }]);
    await c.close();
    assert.deepEqual(
      outputs(c).map((o) => [o.count, o.code]),
      [
        [1, 60],
        [2, 60],
      ],
    );
    writeTally(udfDir, { code: 62 });
    await reloadBySignal(host);
  });

  it('counts reloads and moved sessions in /metrics and shows the last one in /status', async () => {
    const url = String((await host.waitForLog((l) => l.msg === 'operations endpoints listening'))['url']);
    const sample = async (): Promise<(series: string) => number> => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return (series) =>
        Number(
          text
            .split('\n')
            .find((l) => l.startsWith(`${series} `))
            ?.split(' ')[1] ?? 0,
        );
    };
    const before = await sample();
    const c = await KapacitorClient.connectSocket(host.socket('tally'), { timeoutMs: 5000 });
    await c.init([]);
    writeTally(udfDir, { code: 8 });
    await reloadBySignal(host);
    writeTally(udfDir, { code: 9, raw: 'syntax error here' });
    await reloadBySignal(host);
    await c.close();
    const now = await sample();
    for (const series of [
      'kudf_host_reloads_total{outcome="ok"}',
      'kudf_host_reloads_total{outcome="failed"}',
      'kudf_host_reload_sessions_total{result="moved"}',
    ]) {
      assert.equal(now(series) - before(series), 1, series);
    }
    const status = (await (await fetch(`${url}/status`)).json()) as {
      lastReload?: { outcome: string; error?: string };
    };
    assert.equal(status.lastReload?.outcome, 'failed');
    assert.match(String(status.lastReload?.error), /tally\.mjs/);
  });
});
