import assert from 'node:assert/strict';
import { parseStatus } from '../../src/ingest/parsers/index.js';
import type { LineStatus, ParserFamily } from '../../src/ingest/parsers/index.js';

/** Parses `text` with `auto`, checks it detects `family` and that naming the family gives the same status. */
export function statusOf(family: ParserFamily, text: string): LineStatus {
  const auto = parseStatus('auto', text);
  assert.ok(auto.ok, `auto: ${auto.ok ? '' : auto.reason}`);
  assert.equal(auto.family, family, 'detected family');
  const named = parseStatus(family, text);
  assert.ok(named.ok);
  assert.deepStrictEqual(named.status, auto.status);
  return auto.status;
}
