/**
 * The error catalogue (docs/errors.md) and the code keep in step: every `KUDF_*` code the source
 * can produce has an entry that says what it means, and every entry names a code that exists.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/index.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Environment variables share the prefix; they are documented with their commands. They are
 * read as `env['KUDF_X']`, declared on a flag as `.env('KUDF_X')` or `env: 'KUDF_X'`, or looked up
 * by the writer's resolver as the last argument of `src.get(...)`.
 */
const ENV_NAME_FORMS = [
  /env\[['"](KUDF_[A-Z0-9_]+)['"]\]/g,
  /\benv(?:\(|: )['"](KUDF_[A-Z0-9_]+)['"]/g,
  /src\.get\([^)]*['"](KUDF_[A-Z0-9_]+)['"]\s*\)/g,
];
const envNames = new Set<string>();

/** Every code as a string literal in the product's source. */
function codesInSource(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of [...sources(join(REPO_ROOT, 'src')), ...sources(join(REPO_ROOT, 'udfs'))]) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/['"`](KUDF_[A-Z0-9_]+)['"`]/g))
      found.set(m[1] as string, file.slice(REPO_ROOT.length));
    for (const form of ENV_NAME_FORMS) for (const m of text.matchAll(form)) envNames.add(m[1] as string);
  }
  for (const name of envNames) found.delete(name);
  return found;
}

/** Every code in the first column of a table row of the catalogue, with the rest of its row. */
function codesInCatalogue(): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of readFileSync(join(REPO_ROOT, 'docs/errors.md'), 'utf8').split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !line.startsWith('|')) continue;
    for (const m of (cells[1] ?? '').matchAll(/`(KUDF_[A-Z0-9_]+)`/g))
      found.set(m[1] as string, cells.slice(2).join(' | '));
  }
  return found;
}

describe('the error catalogue', () => {
  const inSource = codesInSource();
  const inCatalogue = codesInCatalogue();

  it('finds codes on both sides', () => {
    assert.ok(inSource.size > 60, `only ${inSource.size} codes found in src/`);
    assert.ok(inCatalogue.size > 60, `only ${inCatalogue.size} codes found in docs/errors.md`);
  });

  it('documents every code the source produces', () => {
    const missing = [...inSource].filter(([code]) => !inCatalogue.has(code)).map(([code, file]) => `${code} (${file})`);
    assert.deepEqual(missing, []);
  });

  it('names only codes that exist', () => {
    assert.deepEqual(
      [...inCatalogue.keys()].filter((code) => !inSource.has(code)),
      [],
    );
  });

  it('finds the environment variables, and each is documented with its command', () => {
    assert.ok(envNames.has('KUDF_GRACE') && envNames.has('KUDF_INFLUX_TIMEOUT') && envNames.has('KUDF_QUEUE_DIR'));
    const docs = readdirSync(join(REPO_ROOT, 'docs'))
      .map((name) => readFileSync(join(REPO_ROOT, 'docs', name), 'utf8'))
      .join('\n');
    assert.deepEqual(
      [...envNames].filter((name) => !docs.includes(`\`${name}\``)),
      [],
    );
  });

  it('says for each what it means', () => {
    for (const [code, rest] of inCatalogue) assert.ok(rest.replace(/[|\s]/g, '').length >= 20, `${code}: "${rest}"`);
  });
});
