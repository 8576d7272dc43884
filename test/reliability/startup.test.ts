/**
 * Start-up says what is wrong in one coded line, naming the file, without a stack trace: a bad
 * function file, a module that never finishes loading, a module that exits while loading.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fatalLine, runServe } from './serve-run.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

const root = mkdtempSync(join(tmpdir(), 'kudf-startup-'));
let n = 0;

/** A --udf-dir holding one file with `source`; returns the directory and the file's path. */
function udfDir(name: string, source: string): { dir: string; file: string } {
  const dir = join(root, `udfs-${++n}`);
  mkdirSync(dir);
  const file = join(dir, name);
  writeFileSync(file, source);
  return { dir, file };
}

async function startWith(dir: string, extra: string[] = []): Promise<Record<string, unknown>> {
  const run = await runServe(['--socket-dir', join(root, `sock-${++n}`), '--udf-dir', dir, '--threads', '0', ...extra]);
  assert.equal(run.killed, false, `kudf serve exited on its own:\n${run.out}`);
  // A function file that does not load is a problem of what was given: exit 2 (docs/errors.md).
  assert.equal(run.code, 2, run.out);
  return fatalLine(run);
}

describe('start-up diagnostics', () => {
  after(() => rmSync(root, { recursive: true, force: true }));

  it('names the file whose default export is not a function definition', async () => {
    const { dir, file } = udfDir('forty-two.mjs', 'export default 42;\n');
    const fatal = await startWith(dir);
    assert.equal(fatal['code'], 'KUDF_UDF_BAD_EXPORT');
    assert.equal(fatal['file'], file);
    assert.match(String(fatal['err']), /forty-two\.mjs: .*definition is not an object/);
  });

  it('names the file that does not parse', async () => {
    const { dir, file } = udfDir('broken.mjs', 'export default {\n');
    const fatal = await startWith(dir);
    assert.equal(fatal['code'], 'KUDF_UDF_LOAD_FAILED');
    assert.equal(fatal['file'], file);
  });

  it('gives up on a module whose top-level await never settles, after --load-timeout', async () => {
    const { dir, file } = udfDir('never.mjs', 'await new Promise(() => {});\nexport default null;\n');
    const fatal = await startWith(dir, ['--load-timeout', '1s']);
    assert.equal(fatal['code'], 'KUDF_UDF_LOAD_TIMEOUT');
    assert.equal(fatal['file'], file);
    assert.match(String(fatal['err']), /within 1000 ms/);
  });

  it('refuses a module that calls process.exit while loading, instead of exiting with its code', async () => {
    const { dir, file } = udfDir('quits.mjs', 'process.exit(0);\n');
    const fatal = await startWith(dir);
    assert.equal(fatal['code'], 'KUDF_UDF_EXIT_AT_LOAD');
    assert.equal(fatal['file'], file);
  });

  it('names an unknown function given to --functions', async () => {
    const { dir } = udfDir('empty.txt', '');
    const fatal = await startWith(dir, ['--functions', 'mirror,nosuch']);
    assert.equal(fatal['code'], 'KUDF_HOST_UNKNOWN_FUNCTION');
    assert.match(String(fatal['err']), /unknown function 'nosuch'/);
  });

  it('prints the stack of a start-up failure at debug level', async () => {
    const { dir } = udfDir('forty-two.mjs', 'export default 42;\n');
    const run = await runServe([
      '--socket-dir',
      join(root, 'sock-debug'),
      '--udf-dir',
      dir,
      '--threads',
      '0',
      '--log-level',
      'debug',
    ]);
    const fatal = run.lines.find((l) => l['level'] === 60);
    assert.equal(fatal?.['code'], 'KUDF_UDF_BAD_EXPORT');
    assert.match(String(fatal?.['stack']), /UdfLoadError/);
  });
});
