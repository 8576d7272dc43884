import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Influxd } from '../helpers/index.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

const MAIN = resolve('dist/src/cli/main.js');
let influxd: Influxd;
let scratch: string;
before(async () => {
  influxd = await Influxd.start();
  scratch = mkdtempSync(join(tmpdir(), 'kudf-publish-'));
});
after(async () => {
  await influxd.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function run(
  args: string[],
  input: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INFLUX')));
  const p = spawn(process.execPath, [MAIN, 'publish', ...args], {
    cwd: scratch,
    env: { ...clean, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  p.stdin.end(input);
  return new Promise((res) => p.on('close', (code) => res({ code, stdout, stderr })));
}

test('kudf publish without a database prints JSON points as line protocol, marking integers with {"int"}', async () => {
  const input = [
    '{"measurement":"m","tags":{"a":"1"},"fields":{"v":1.5,"n":{"int":"9007199254740993"},"ok":true},"time":"1700000000000000000"}',
    '{"measurement":"m","fields":{"v":2},"time":"2024-01-01T00:00:00Z"}',
  ].join('\n');
  const r = await run([], input);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'm,a=1 v=1.5,n=9007199254740993i,ok=true 1700000000000000000\nm v=2 1704067200000000000\n');
});

test('kudf publish writes line protocol from stdin to influxd, configured from the environment and a .env file', async () => {
  await influxd.exec('CREATE DATABASE pub');
  writeFileSync(join(scratch, '.env'), `INFLUXDB_DATABASE=pub\nINFLUXDB_PORT=${influxd.port}\n`);
  try {
    const lines = Array.from({ length: 250 }, (_, k) => `seq,src=p i=${k}i,half=${k / 2} ${1_000_000_000 + k}`);
    const r = await run(
      ['--queue-dir', join(scratch, 'q'), '--influx-flush-interval', '20'],
      `${lines.join('\n')}\nnot a point\n`,
      { INFLUXDB_HOST: '127.0.0.1' },
    );
    assert.equal(r.code, 1, 'one bad input line');
    assert.match(r.stderr, /input line is not a point/);
    assert.equal(await influxd.count('pub', 'seq', 'i'), 250);
  } finally {
    rmSync(join(scratch, '.env'), { force: true });
  }
});

test('kudf publish to a stopped server exits 3 and the next run delivers what the first one queued', async () => {
  await influxd.exec('CREATE DATABASE later');
  const args = [
    '--influx-url',
    influxd.url,
    '--influx-db',
    'later',
    '--queue-dir',
    join(scratch, 'q-later'),
    '--influx-timeout',
    '1000',
  ];
  await influxd.pause();
  const first = await run(args, 'm v=1i 1\nm v=2i 2\n');
  assert.equal(first.code, 3, first.stderr);
  await influxd.resume();
  const second = await run(args, 'm v=3i 3\n');
  assert.equal(second.code, 0, second.stderr);
  const rows = await influxd.query('later', 'SELECT v FROM m');
  assert.deepEqual(
    rows[0]?.values.map((v) => v[1]),
    [1, 2, 3],
  );
});

test('kudf publish with a bad setting exits 2 and names the key', async () => {
  const r = await run(
    ['--influx-url', 'http://127.0.0.1:1', '--influx-db', 'x', '--influx-batch-size', 'lots'],
    'm v=1 1\n',
  );
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--influx-batch-size/);
});
