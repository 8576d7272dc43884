import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { DeadLetterEntry } from '../../../../src/ingest/writer/index.js';
import { DeadLetterFile } from '../../../../src/ingest/writer/internal.js';

function entries(from: number, count: number): DeadLetterEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    time: '2026-11-23T00:00:00.000Z',
    status: 400,
    reason: 'field type conflict',
    line: `m v=${from + i}i 1`,
  }));
}

function linesOf(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as DeadLetterEntry).line);
}

test('the dead-letter file rotates past its bound, keeps the newest rotated files and reports the one it overwrites', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kudf-dead-letter-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'dead-letter.jsonl');
  const file = new DeadLetterFile(path, { maxBytes: 1000, keep: 2 });
  const entryBytes = Buffer.byteLength(`${JSON.stringify(entries(0, 1)[0])}\n`);
  const perFile = Math.floor(1000 / entryBytes);

  const appends: Array<ReturnType<DeadLetterFile['append']>> = [];
  for (let i = 0; i < 4 * perFile; i++) appends.push(file.append(entries(i, 1)));

  // Every file stays within its bound, and the newest lines are where a reader looks first.
  for (const p of [path, `${path}.1`, `${path}.2`]) assert.ok(statSync(p).size <= 1000, `${p} is over its bound`);
  assert.equal(existsSync(`${path}.3`), false);
  const kept = [...linesOf(`${path}.2`), ...linesOf(`${path}.1`), ...linesOf(path)];
  const all = Array.from({ length: 4 * perFile }, (_, i) => `m v=${i}i 1`);
  assert.deepEqual(kept, all.slice(all.length - kept.length), 'the kept lines are the newest, in order');
  assert.equal(kept.length, 3 * perFile);

  // Three rotations; only the third had a .2 to overwrite.
  assert.equal(appends.filter((a) => a.rotated).length, 3);
  assert.deepEqual(
    appends.flatMap((a) => (a.droppedFile !== undefined ? [a.droppedFile] : [])),
    [`${path}.2`],
  );
});

test('an append larger than the bound still goes in whole, into a file of its own', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kudf-dead-letter-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'dead-letter.jsonl');
  const file = new DeadLetterFile(path, { maxBytes: 200, keep: 3 });
  assert.deepEqual(file.append(entries(0, 1)), { rotated: false, droppedFile: undefined });
  assert.equal(file.append(entries(1, 10)).rotated, true);
  assert.deepEqual(
    linesOf(path),
    entries(1, 10).map((e) => e.line),
  );
  assert.deepEqual(linesOf(`${path}.1`), ['m v=0i 1']);
});
