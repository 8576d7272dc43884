import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const FIXTURE_DIR = `${REPO}test/fixtures/adsl/`;
const MAIN = `${REPO}dist/src/cli/main.js`;

function kudf(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [MAIN, ...args], { cwd: REPO, encoding: 'utf8', input: input ?? '' });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

const fixtures = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith('.txt'))
  .sort();

describe('kudf parse', () => {
  for (const file of fixtures) {
    it(`prints the expected status of ${file} as JSON and exits 0`, () => {
      const res = kudf(['parse', '--family', 'auto', `${FIXTURE_DIR}${file}`]);
      assert.equal(res.status, 0, res.stderr);
      const out = JSON.parse(res.stdout) as { ok: boolean; status: unknown };
      assert.equal(out.ok, true);
      const expected: unknown = JSON.parse(
        readFileSync(`${FIXTURE_DIR}${file.replace(/\.txt$/, '.expected.json')}`, 'utf8'),
      );
      assert.deepStrictEqual(out.status, expected);
    });
  }

  it('defaults to auto-detection and reads stdin when the file is -', () => {
    const text = readFileSync(`${FIXTURE_DIR}${fixtures[0] ?? ''}`, 'utf8');
    const res = kudf(['parse', '-'], text);
    assert.equal(res.status, 0, res.stderr);
    assert.equal((JSON.parse(res.stdout) as { ok: boolean }).ok, true);
  });

  it('exits 1 with a reason on stderr when nothing can be parsed', () => {
    const res = kudf(['parse', '-'], 'sh: xdslctl: not found\n');
    assert.equal(res.status, 1);
    assert.match(res.stderr, /kudf parse: .*\S/);
    assert.equal((JSON.parse(res.stdout) as { ok: boolean }).ok, false);
  });

  it('exits 2 for an unknown family, a missing file argument and an unreadable file', () => {
    const some = `${FIXTURE_DIR}${fixtures[0] ?? ''}`;
    assert.equal(kudf(['parse', '--family', 'huawei', some]).status, 2);
    assert.equal(kudf(['parse']).status, 2);
    const missing = kudf(['parse', `${FIXTURE_DIR}does-not-exist.txt`]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /cannot read/);
  });
});
