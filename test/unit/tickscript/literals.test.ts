import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DurationError,
  formatDuration,
  parseDuration,
  formatArguments,
  formatLiteral,
} from '../../../src/tickscript/index.js';

describe('TICKscript literals', () => {
  it('parses every duration unit TICKscript knows into nanoseconds', () => {
    const cases: Array<[string, bigint]> = [
      ['5u', 5_000n],
      ['5µs', 5_000n],
      ['500ms', 500_000_000n],
      ['10s', 10_000_000_000n],
      ['2m', 120_000_000_000n],
      ['1h', 3_600_000_000_000n],
      ['1d', 86_400_000_000_000n],
      ['1w', 604_800_000_000_000n],
      ['-5s', -5_000_000_000n],
    ];
    for (const [text, ns] of cases) assert.equal(parseDuration(text), ns, text);
  });

  it('rejects text that is not a single-unit duration', () => {
    for (const text of ['10', '10ns', 's', '1m30s', '1.5s', '']) {
      assert.throws(
        () => parseDuration(text),
        (err: DurationError) => err.code === 'KUDF_TICK_BAD_DURATION',
        text,
      );
    }
  });

  it('prints a duration in the largest unit that divides it, and reads it back', () => {
    for (const ns of [1_000_000_000n, 90_000_000_000n, 3_600_000_000_000n, 1_500_000n, 7_000n, -60_000_000_000n]) {
      assert.equal(parseDuration(formatDuration(ns)), ns);
    }
    assert.equal(formatDuration(3_600_000_000_000n), '1h');
    assert.equal(formatDuration(0n), '0s');
  });

  it('writes option values as TICKscript literals of their declared type', () => {
    assert.equal(formatLiteral('avg', 'string'), "'avg'");
    assert.equal(formatLiteral("it's", 'string'), "'it\\'s'");
    assert.equal(formatLiteral(10, 'int'), '10');
    assert.equal(formatLiteral(10, 'double'), '10.0');
    assert.equal(formatLiteral(1.5, 'double'), '1.5');
    assert.equal(formatLiteral(true, 'bool'), 'TRUE');
    assert.equal(formatLiteral(1_000_000_000n, 'duration'), '1s');
    assert.equal(formatArguments(['SHOWTIME', '*'], ['string', 'string']), "'SHOWTIME', '*'");
  });
});
