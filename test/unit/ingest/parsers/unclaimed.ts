import assert from 'node:assert/strict';
import { it } from 'node:test';
import { detectFamily, parseStatus } from '../../../../src/ingest/parsers/index.js';

/**
 * One test per text that auto-detection must not claim for any family: no family is detected,
 * and `parseStatus('auto', ...)` fails saying so instead of guessing.
 */
export function itClaimsNoFamily(cases: readonly (readonly [what: string, text: string])[]): void {
  for (const [what, text] of cases) {
    it(`does not claim ${what}`, () => {
      assert.equal(detectFamily(text), undefined);
      const outcome = parseStatus('auto', text);
      assert.equal(outcome.ok, false);
      assert.match(outcome.ok ? '' : outcome.reason, /family could not be detected/);
    });
  }
}
