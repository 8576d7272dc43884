import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse as parseToml } from 'smol-toml';
import { formatLine, parseLineProtocol } from '../../src/line-protocol/index.js';
import { KapacitorClient } from '../../src/probe/index.js';
import { HostProcess, KUDF, REPO_ROOT } from '../helpers/index.js';

const run = promisify(execFile);
const ADSL_INPUT = join(REPO_ROOT, 'test/fixtures/edge/adsl_connection.input.lp');

async function kudf(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [KUDF, ...args], { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('process mode: kudf serve --stdio', () => {
  it('runs a session over stdin/stdout with every log line on stderr', async () => {
    let stderr = '';
    const client = KapacitorClient.spawnProcess(
      process.execPath,
      [KUDF, 'serve', '--stdio', 'mirror', '--log-level', 'debug'],
      { timeoutMs: 5000, stderr: 'pipe' },
    );
    client.processStderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const init = await client.init([], 'stdio-task', 'n1');
    assert.equal(init.success, true);
    const time = 1514979051065000001n;
    client.send({
      kind: 'point',
      point: {
        time,
        name: 'm',
        database: 'd',
        retentionPolicy: 'r',
        group: 'h=a',
        dimensions: ['h'],
        tags: { h: 'a' },
        fields: { v: 2n },
        byName: false,
      },
    });
    await client.close();
    assert.equal(client.data.length, 1);
    assert.equal(client.data[0]?.kind === 'point' ? client.data[0].point.time : 0n, time);
    // Decoding stdout as frames succeeded, so no log line went there; they are on stderr.
    assert.match(stderr, /"msg":"session ended"/);
    assert.match(stderr, /"taskID":"stdio-task"/);
  });

  it('kudf probe run --prog mirrors a line-protocol file grouped by host', async () => {
    const res = await kudf([
      'probe',
      'run',
      '--prog',
      `${process.execPath} ${KUDF} serve --stdio mirror`,
      '--points',
      ADSL_INPUT,
      '--group-by',
      'host',
    ]);
    assert.equal(res.code, 0, res.stderr);
    const expected = parseLineProtocol(await readFile(ADSL_INPUT, 'utf8')).map(formatLine);
    assert.deepEqual(res.stdout.trim().split('\n'), expected);
  });
});

describe('CLI against a running host', () => {
  let host: HostProcess;
  before(async () => {
    host = await HostProcess.start(['--threads', '1']);
  });
  after(async () => {
    await host.stop();
  });

  it('kudf probe info prints the function options as JSON', async () => {
    const res = await kudf(['probe', 'info', '--socket', host.socket('edgeDetect')]);
    assert.equal(res.code, 0, res.stderr);
    const info = JSON.parse(res.stdout) as {
      wants: string;
      provides: string;
      options: Record<string, { valueTypes: string[] }>;
    };
    assert.equal(info.wants, 'stream');
    assert.deepEqual(info.options['field'], { valueTypes: ['string'] });
  });

  it('kudf probe run prints the mirrored points with their group and dimensions as JSON', async () => {
    const res = await kudf([
      'probe',
      'run',
      '--socket',
      host.socket('mirror'),
      '--points',
      ADSL_INPUT,
      '--group-by',
      'host',
      '--format',
      'json',
    ]);
    assert.equal(res.code, 0, res.stderr);
    const lines = res.stdout
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            point: { group: string; dimensions: string[]; time: string; fieldsString: Record<string, string> };
          },
      );
    assert.equal(lines.length, 17);
    assert.equal(lines[0]?.point.group, 'host=router1');
    assert.deepEqual(lines[0]?.point.dimensions, ['host']);
    assert.equal(lines[0]?.point.time, '1514979051065000000');
    assert.equal(lines[0]?.point.fieldsString['value'], 'SHOWTIME');
  });

  it('kudf probe run with options and a snapshot round trip restores the state in a new task', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kudf-snap-'));
    const snap = join(dir, 'edge.snap');
    const first = await kudf([
      'probe',
      'run',
      '--socket',
      host.socket('edgeDetect'),
      '--opt',
      'field=value:string',
      '--points',
      ADSL_INPUT,
      '--group-by',
      'host',
      '--snapshot',
      snap,
    ]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout.trim().split('\n').length, 6);
    // The restored state is the last emitted one (TRAINING): a TRAINING point is not a change, SHOWTIME is.
    const next = join(dir, 'next.lp');
    await writeFile(
      next,
      'adsl_connection,host=router1 value="TRAINING" 1514980581000000000\nadsl_connection,host=router1 value="SHOWTIME" 1514980671000000000\n',
    );
    const again = await kudf([
      'probe',
      'run',
      '--socket',
      host.socket('edgeDetect'),
      '--opt',
      'field=value:string',
      '--points',
      next,
      '--group-by',
      'host',
      '--restore',
      snap,
    ]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout.trim(), 'adsl_connection,host=router1 value="SHOWTIME" 1514980671000000000');
  });

  it('kudf probe run reports a failed Init with the reason and exit code 1', async () => {
    const res = await kudf(['probe', 'run', '--socket', host.socket('mirror'), '--opt', 'nope=1:int']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /Init failed: option 'nope': unknown option/);
  });

  it('kudf health exits 0 when every socket answers Info', async () => {
    const res = await kudf(['health', '--socket-dir', host.socketDir]);
    assert.equal(res.code, 0, res.stdout);
    assert.match(res.stdout, /ok {3}.*mirror\.sock/);
  });
});

describe('kudf health and kudf functions without a host', () => {
  it('kudf health exits 1 for a directory with no sockets', async () => {
    const res = await kudf(['health', '--socket-dir', await mkdtemp(join(tmpdir(), 'kudf-empty-'))]);
    assert.equal(res.code, 1);
    assert.match(res.stdout, /FAIL.*no sockets/);
  });

  it('kudf functions --json lists every built-in function with its options', async () => {
    const res = await kudf(['functions', '--json']);
    assert.equal(res.code, 0, res.stderr);
    const list = JSON.parse(res.stdout) as Array<{
      name: string;
      options: Array<{ name: string; valueTypes: string[] }>;
    }>;
    const names = list.map((f) => f.name);
    for (const name of ['mirror', 'edgeDetect', 'movingAverage']) assert.ok(names.includes(name), `${name} is listed`);
    const edge = list.find((f) => f.name === 'edgeDetect');
    assert.deepEqual(edge?.options.find((o) => o.name === 'field')?.valueTypes, ['string']);
  });

  it('kudf functions --conf prints a kapacitor.conf block per function that parses as TOML', async () => {
    const res = await kudf(['functions', '--conf', '--socket-dir', '/var/run/kudf', '--timeout', '10s']);
    assert.equal(res.code, 0, res.stderr);
    const conf = parseToml(res.stdout) as { udf: { functions: Record<string, { socket: string; timeout: string }> } };
    const fns = conf.udf.functions;
    assert.deepEqual({ ...fns['mirror'] }, { socket: '/var/run/kudf/mirror.sock', timeout: '10s' });
    assert.equal(fns['edgeDetect']?.socket, '/var/run/kudf/edgeDetect.sock');
  });

  it('kudf check --udf-dir knows the functions of that directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kudf-check-'));
    const script = join(dir, 'burn.tick');
    await writeFile(script, 'dbrp "db"."rp"\nstream\n    |from().measurement(\'m\')\n    @burn()\n');
    const without = await kudf(['check', script]);
    assert.equal(without.code, 1);
    assert.match(without.stdout, /burn\.tick:4: unknown function '@burn\(\)'/);
    const withDir = await kudf(['check', '--udf-dir', join(REPO_ROOT, 'test/fixtures/udfs'), script]);
    assert.equal(withDir.code, 0, withDir.stdout);
  });

  it('kudf functions --conf --process prints prog/args blocks', async () => {
    const res = await kudf(['functions', '--conf', '--process', '--prog', '/usr/local/bin/kudf']);
    const conf = parseToml(res.stdout) as {
      udf: { functions: Record<string, { prog: string; args: string[]; timeout: string }> };
    };
    assert.deepEqual(
      { ...conf.udf.functions['mirror'], args: [...(conf.udf.functions['mirror']?.args ?? [])] },
      { prog: '/usr/local/bin/kudf', args: ['serve', '--stdio', 'mirror'], timeout: '10s' },
    );
  });

  it('kudf functions --conf --process --udf-dir passes the directory on, and the process it describes serves the function', async () => {
    const udfDir = join(REPO_ROOT, 'test/fixtures/udfs');
    const res = await kudf(['functions', '--conf', '--process', '--prog', KUDF, '--udf-dir', udfDir]);
    const conf = parseToml(res.stdout) as { udf: { functions: Record<string, { prog: string; args: string[] }> } };
    const burn = conf.udf.functions['burn'];
    assert.ok(burn !== undefined, res.stdout);
    assert.deepEqual([...burn.args], ['serve', '--stdio', 'burn', '--udf-dir', udfDir]);
    // Run what Kapacitor would run: the function is found and answers Info.
    const client = KapacitorClient.spawnProcess(process.execPath, [burn.prog, ...burn.args], { timeoutMs: 5000 });
    const info = await client.info();
    await client.close();
    // A process that did not find burn would have exited before answering.
    assert.deepEqual({ wants: info.wants, provides: info.provides }, { wants: 'stream', provides: 'stream' });
  });
});
