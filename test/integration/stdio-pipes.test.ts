import assert from 'node:assert/strict';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { LoadConnection, mirrorWorkload, processTarget, spawnOverPipes } from '../../bench/internal.js';

// Process mode as Kapacitor runs it: stdin and stdout are pipes (Go's os/exec), and every frame
// arrives as two writes, the length prefix and then the body.
describe('process mode over pipes, frames written as Kapacitor writes them', () => {
  for (const hold of [
    ['--coalesce-hold', '500'],
    ['--coalesce-hold', '0'],
  ]) {
    it(`answers every point and keepalive, in order (${hold.join(' ')})`, async () => {
      const workload = mirrorWorkload();
      const target = processTarget('mirror');
      const points = workload.pointsPerChunk * 20;
      const conn = await LoadConnection.open({
        process: { ...target, args: [...target.args, ...hold] },
        workload,
        maxPoints: points,
        maxSeconds: 60,
        keepaliveMs: 2,
        writes: 'kapacitor',
      });
      const result = await conn.run();
      assert.equal(result.error, undefined);
      assert.equal(result.sentPoints, points);
      assert.equal(result.returnedPoints, points);
      assert.ok(result.keepalivesSent > 0, 'no keepalive went out during the run');
      assert.equal(result.keepaliveMs.length, result.keepalivesSent);
      assert.ok(result.writeCalls !== undefined && result.writeCalls.calls >= 2 * points, 'two writes a frame');
      assert.ok(Number.isFinite(result.peerCpuSeconds), 'the child was measured');
    });
  }
});

// A mirror process fed 30k points at 20k a second in Kapacitor's two writes a frame.
const PACED_POINTS = 30_000;
const pacedMirrorRun = (process: ReturnType<typeof processTarget>): Promise<LoadConnection> =>
  LoadConnection.open({
    process,
    workload: mirrorWorkload(),
    maxPoints: PACED_POINTS,
    maxSeconds: 60,
    keepaliveMs: 10,
    writes: 'kapacitor',
    pointsPerSec: 20_000,
  });

// The hold is what makes process mode cheap under Kapacitor's writes: after a small read the
// process sleeps, and the next read takes every frame the pipe gathered meanwhile. A 5 ms hold at
// 20k frames a second gathers about a hundred frames a read; a session that read each write
// (the hold broken or never started) would make two reads a frame.
describe('a process-mode hold under Kapacitor-pattern writes', () => {
  it('takes the frames written during a hold in one read', async () => {
    const target = processTarget('mirror');
    const points = PACED_POINTS;
    const conn = await pacedMirrorRun({ ...target, args: [...target.args, '--coalesce-hold', '5000'] });
    const result = await conn.run();
    assert.equal(result.error, undefined);
    assert.equal(result.returnedPoints, points);
    const reads = result.peerReads;
    assert.ok(reads !== undefined && Number.isFinite(reads) && reads > 0, `the child's reads were counted: ${reads}`);
    assert.ok(result.writeCalls !== undefined && result.writeCalls.calls >= 2 * points, 'two writes a frame');
    assert.ok(reads <= points / 20, `${reads} reads for ${points} frames: under 20 frames a read`);
  });
});

// The bench's process-mode figures leave out each fresh process's first fifth; the rest must
// still be most of the run, measured on the child itself.
describe('process-mode CPU after the warm-up', () => {
  it('samples the child over the last four fifths of a run', async () => {
    const conn = await pacedMirrorRun(processTarget('mirror'));
    const result = await conn.run();
    assert.equal(result.error, undefined);
    const steady = result.peerSteady;
    assert.ok(steady !== undefined, 'a run of 1.5 s has a sample a fifth of the way in');
    const share = steady.points / result.sentPoints;
    assert.ok(share > 0.5 && share < 0.95, `the last four fifths carried ${share} of the points`);
    assert.ok(steady.cpuSeconds > 0, 'the child spent CPU after its warm-up');
    assert.ok(steady.cpuSeconds <= (result.peerCpuSeconds ?? 0), 'a part of the run costs no more than all of it');
  });
});

// A held read must find every byte the pipe gathered meanwhile in the kernel, not one chunk that
// the stream read ahead into its own buffer while held.
describe('the stdin of a process-mode session', () => {
  const door = (name: string): string =>
    JSON.stringify(fileURLToPath(new URL(`../../src/host/${name}.js`, import.meta.url)));
  const child = (stdin: string): string => `
    import { sessionStdin } from ${door('index')};
    import { holdReads } from ${door('internal')};
    const input = ${stdin};
    input.once('data', () => {
      holdReads(input);
      process.stdout.write('held\\n');
      setTimeout(() => {
        process.stdout.write(JSON.stringify({ readAhead: input.readableLength }) + '\\n');
        process.exit(0);
      }, 300);
    });`;

  /** Bytes the child's stdin stream holds 300 ms after a hold, with 8 KiB written during it. */
  async function readAhead(stdin: string): Promise<number> {
    let out = '';
    let held: () => void = () => undefined;
    const heldP = new Promise<void>((resolve) => (held = resolve));
    const piped = await spawnOverPipes({
      command: process.execPath,
      args: ['--input-type=module', '-e', child(stdin)],
      readBuffer: Buffer.alloc(4096),
      onRead: (n, buf) => {
        out += buf.subarray(0, n).toString();
        if (out.includes('held')) held();
      },
    });
    const exited = once(piped.child, 'exit');
    piped.toChild.write('x');
    await heldP;
    piped.toChild.write(Buffer.alloc(8192, 1));
    await exited;
    piped.toChild.destroy();
    const report = JSON.parse(out.split('\n')[1] ?? '{}') as { readAhead?: number };
    assert.equal(typeof report.readAhead, 'number', out);
    return report.readAhead as number;
  }

  it('reads nothing ahead from a pipe while its reads are held', async () => {
    assert.equal(await readAhead('sessionStdin()'), 0);
  });

  it('where process.stdin reads ahead into its own buffer (why the session has its own stream)', async () => {
    assert.ok((await readAhead('process.stdin')) > 0);
  });
});
