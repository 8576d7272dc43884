/**
 * Logs for people and for machines: `--log-format pretty` (pino-pretty's form), `--log-format
 * json`, and the default, which is pretty only when the log goes to a terminal. The terminal is
 * a real pseudo-terminal from util-linux's `script`.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stopChild, KUDF } from '../helpers/index.js';

const ANSI = /\u001b\[[0-9;]*m/;
const PRETTY_LINE =
  /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d{4}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL) \(kudf[a-z-]*\): /;

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kudf-log-format-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs `kudf serve` with its stdout piped until 'host ready', drives one mirror task through it, and returns everything it logged. */
async function serveLog(extra: string[]): Promise<string[]> {
  const socketDir = join(dir, `sockets-${extra.join('') || 'default'}`);
  const host = spawn(
    process.execPath,
    [KUDF, 'serve', '--socket-dir', socketDir, '--functions', 'mirror', '--threads', '1', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  host.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
  host.stderr.setEncoding('utf8').on('data', (t: string) => (out += t));
  try {
    await new Promise<void>((resolve, reject) => {
      host.stdout.on('data', () => {
        if (out.includes('host ready')) resolve();
      });
      host.once('exit', (code) => reject(new Error(`kudf serve exited with ${code}: ${out}`)));
    });
    const points = join(dir, 'points.lp');
    await writeFile(points, 'cpu,host=a v=1 1000000000\n');
    const probe = spawnSync(
      process.execPath,
      [KUDF, 'probe', 'run', '--socket', join(socketDir, 'mirror.sock'), '--points', points],
      { encoding: 'utf8' },
    );
    assert.equal(probe.status, 0, probe.stderr);
  } finally {
    await stopChild(host, 5000);
  }
  return out.split('\n').filter((l) => l !== '');
}

/** Runs `kudf publish` (empty input, no database) on a pseudo-terminal; returns what the terminal showed. */
function publishOnTerminal(extra: string, env: NodeJS.ProcessEnv = process.env): string {
  const command = `'${process.execPath}' '${KUDF}' publish ${extra} < /dev/null`;
  const res = spawnSync('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
    encoding: 'utf8',
    env,
    cwd: dir,
  });
  assert.equal(res.status, 0, `script: ${res.stdout}${res.stderr}`);
  return res.stdout.replace(/\r/g, '');
}

describe('log formats', () => {
  it('writes JSON lines by default when the log is not a terminal, from the main thread and the workers alike', async () => {
    const lines = await serveLog([]);
    const parsed = lines.map((l) => JSON.parse(l) as { msg: string; thread?: number });
    assert.ok(parsed.some((l) => l.msg === 'host ready'));
    assert.ok(
      parsed.some((l) => l.msg === 'session initialised' && typeof l.thread === 'number'),
      'a worker thread logged the session',
    );
  });

  it('writes pino-pretty lines with --log-format pretty, without colours into a pipe, from the main thread and the workers alike', async () => {
    const lines = await serveLog(['--log-format', 'pretty']);
    for (const line of lines) {
      assert.match(line, PRETTY_LINE);
      assert.doesNotMatch(line, ANSI);
      assert.throws(() => JSON.parse(line) as unknown);
    }
    assert.ok(
      lines.some((l) => / INFO \(kudf\): host ready/.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /: session initialised .*"thread":\d/.test(l)),
      'a worker thread logged the session in the same form',
    );
  });

  it('refuses a format it does not know, naming the choices', () => {
    const res = spawnSync(process.execPath, [KUDF, 'serve', '--log-format', 'yaml'], { encoding: 'utf8' });
    assert.notEqual(res.status, 0);
    assert.match(res.stderr, /--log-format.*expected one of json, pretty/);
  });

  it('is pretty and coloured by default on a terminal', () => {
    const shown = publishOnTerminal('');
    assert.match(shown, ANSI);
    const plain = shown.replace(new RegExp(ANSI.source, 'g'), '');
    assert.match(plain, /INFO \(kudf-publish\): publish done/);
  });

  it('leaves the colours out on a terminal when NO_COLOR is set', () => {
    const shown = publishOnTerminal('', { ...process.env, NO_COLOR: '1' });
    assert.doesNotMatch(shown, ANSI);
    assert.match(shown, PRETTY_LINE);
  });

  it('keeps JSON on a terminal with --log-format json', () => {
    const shown = publishOnTerminal('--log-format json').trim();
    const line = JSON.parse(shown) as { msg: string; name: string };
    assert.equal(line.msg, 'publish done');
    assert.equal(line.name, 'kudf-publish');
  });
});
