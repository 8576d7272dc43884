import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParseOutcome } from '../../src/ingest/poller/index.js';

/**
 * A stand-in for the real parsers in poller tests: it recognises the fixture texts and returns
 * their expected.json, so poller tests do not depend on parser behaviour. Line endings and
 * trailing blanks are ignored, because a shell session changes them.
 */
export function fixtureParser(fixturesDir: string): (family: string, text: string) => ParseOutcome {
  const norm = (t: string): string =>
    t
      .replace(/\r/g, '')
      .split('\n')
      .map((l) => l.trimEnd())
      .join('\n')
      .trim();
  const known = new Map<string, object>();
  for (const f of readdirSync(fixturesDir)) {
    if (!f.endsWith('.txt')) continue;
    const expected = JSON.parse(
      readFileSync(join(fixturesDir, f.replace(/\.txt$/, '.expected.json')), 'utf8'),
    ) as object;
    known.set(norm(readFileSync(join(fixturesDir, f), 'utf8')), expected);
  }
  return (family, text) => {
    const status = known.get(norm(text));
    return status !== undefined
      ? { ok: true, family: family === 'auto' ? 'fixture' : family, status }
      : { ok: false, family, reason: 'not a known fixture' };
  };
}
