/**
 * Every command fails the same way: one line `kudf <command>: <message> (KUDF_...)` on stderr,
 * exit 2 for what the user gave (flags, environment, files) and 1 for what went wrong while
 * running, no stack trace unless --log-level debug, and no hang. Each code printed is in the
 * catalogue (docs/errors.md).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KUDF, REPO_ROOT } from '../helpers/index.js';

const catalogue = readFileSync(join(REPO_ROOT, 'docs/errors.md'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'kudf-cli-errors-'));

function kudf(args: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [KUDF, ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    input: '',
    env: { ...process.env, KUDF_SOCKET_DIR: join(dir, 'sockets') },
  });
  return { status: r.status, stderr: r.stderr };
}

const cases: Array<{ args: string[]; command: string; code: string; exit: number; says: RegExp }> = [
  {
    args: ['serve', '--functions', 'nosuch'],
    command: 'serve',
    code: 'KUDF_HOST_UNKNOWN_FUNCTION',
    exit: 2,
    says: /unknown function 'nosuch'/,
  },
  {
    args: ['serve', '--stdio', 'nosuch'],
    command: 'serve',
    code: 'KUDF_HOST_UNKNOWN_FUNCTION',
    exit: 2,
    says: /unknown function 'nosuch'/,
  },
  {
    args: ['serve', '--udf-dir', '/missing'],
    command: 'serve',
    code: 'KUDF_UDF_DIR',
    exit: 2,
    says: /cannot read --udf-dir/,
  },
  {
    args: ['serve', '--socket-group', 'nosuchgroup'],
    command: 'serve',
    code: 'KUDF_USAGE',
    exit: 2,
    says: /no group named 'nosuchgroup'/,
  },
  {
    args: ['serve', '--grace', '10x'],
    command: 'serve',
    code: 'KUDF_USAGE',
    exit: 2,
    says: /--grace <duration>' argument '10x' is invalid. expected a duration/,
  },
  { args: ['serve', '--log-level', 'loud'], command: 'serve', code: 'KUDF_USAGE', exit: 2, says: /--log-level/ },
  {
    args: ['serve', '--socket-dir', '/proc/x'],
    command: 'serve',
    code: 'KUDF_SOCKET_DIR_FAILED',
    exit: 1,
    says: /\/proc\/x/,
  },
  {
    args: ['probe', 'run', '--opt', 'field', '--socket', '/tmp/none.sock'],
    command: 'probe',
    code: 'KUDF_PROBE_BAD_OPTION_ARG',
    exit: 2,
    says: /must look like name=value:type/,
  },
  {
    args: ['probe', 'info', '--socket', join(dir, 'none.sock')],
    command: 'probe',
    code: 'KUDF_PROBE_CONNECT',
    exit: 1,
    says: /cannot connect/,
  },
  {
    args: ['publish', '--influx-api', 'v3'],
    command: 'publish',
    code: 'KUDF_INFLUX_SETTING_INVALID',
    exit: 2,
    says: /--influx-api: must be v1, v2 or stdout/,
  },
  {
    args: ['poll', '--config', join(dir, 'missing.yaml')],
    command: 'poll',
    code: 'KUDF_POLL_CONFIG_INVALID',
    exit: 2,
    says: /cannot read the file/,
  },
  {
    args: ['poll', '--config', join(dir, 'missing.yaml'), '--log-level', 'loud'],
    command: 'poll',
    code: 'KUDF_USAGE',
    exit: 2,
    says: /--log-level/,
  },
  {
    args: ['parse', '--family', 'nosuch', '/dev/null'],
    command: 'parse',
    code: 'KUDF_USAGE',
    exit: 2,
    says: /unknown family "nosuch"/,
  },
  { args: ['reload', '--socket-dir', dir], command: 'reload', code: '', exit: 2, says: /no running host serves/ },
  { args: ['nosuchcommand'], command: '', code: 'KUDF_USAGE', exit: 2, says: /unknown command 'nosuchcommand'/ },
];

describe('errors from the command line', () => {
  for (const c of cases) {
    it(`kudf ${c.args.join(' ')}: exit ${c.exit}${c.code === '' ? '' : `, ${c.code}`}`, () => {
      const r = kudf(c.args);
      assert.equal(r.status, c.exit, r.stderr);
      const first = r.stderr.split('\n')[0] ?? '';
      assert.match(r.stderr, c.says);
      assert.ok(!/\n\s+at /.test(r.stderr), `no stack trace:\n${r.stderr}`);
      if (c.code === '') return;
      assert.ok(first.startsWith(c.command === '' ? 'kudf: ' : `kudf ${c.command}: `), first);
      assert.ok(r.stderr.trimEnd().endsWith(`(${c.code})`), r.stderr);
      assert.ok(c.code === 'KUDF_USAGE' || catalogue.includes(`\`${c.code}\``), `${c.code} is in docs/errors.md`);
    });
  }

  it('shows the stack at --log-level debug', () => {
    const r = kudf(['serve', '--functions', 'nosuch', '--log-level', 'debug']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /\n\s+at /);
  });

  it('prints help and the version with exit 0', () => {
    assert.equal(kudf(['--version']).status, 0);
    assert.equal(kudf(['serve', '--help']).status, 0);
  });
});
