/**
 * This package is MIT: every package it installs for users (dependencies, transitively, as
 * package-lock.json resolves them) must carry a licence that allows that, so a copyleft one such
 * as AGPL cannot come in unnoticed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/index.js';

const PERMISSIVE = new Set([
  'MIT',
  'ISC',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'Apache-2.0',
  '0BSD',
  'Unlicense',
  'CC0-1.0',
  'BlueOak-1.0.0',
]);

interface LockEntry {
  dev?: boolean;
  license?: string;
}

/** The licence a package declares: `license`, or the old `licenses: [{ type }]` form. */
function declared(dir: string, lock: LockEntry): string[] {
  if (lock.license !== undefined) return [lock.license];
  const manifest = join(REPO_ROOT, dir, 'package.json');
  if (!existsSync(manifest)) return [];
  const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { license?: string; licenses?: Array<{ type: string }> };
  return pkg.license !== undefined ? [pkg.license] : (pkg.licenses ?? []).map((l) => l.type);
}

describe('licences of what the package installs', () => {
  it('are all permissive', () => {
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, LockEntry>;
    };
    const runtime = Object.entries(lock.packages).filter(([dir, entry]) => dir !== '' && entry.dev !== true);
    assert.ok(runtime.length > 20, `only ${runtime.length} runtime packages found in package-lock.json`);
    const refused: string[] = [];
    for (const [dir, entry] of runtime) {
      const licences = declared(dir, entry);
      // An SPDX expression "(MIT OR Apache-2.0)": one permissive choice is enough.
      const choices = licences.flatMap((l) => l.replace(/[()]/g, '').split(/\s+OR\s+/));
      // Optional packages not installed on this platform declare nothing here; the lock says so.
      if (choices.length === 0 && !existsSync(join(REPO_ROOT, dir))) continue;
      if (!choices.some((c) => PERMISSIVE.has(c)))
        refused.push(`${dir.replace(/^.*node_modules\//, '')}: ${licences.join(', ') || 'none declared'}`);
    }
    assert.deepEqual(refused, []);
  });
});
