import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatDurationMs,
  formatFileMode,
  formatSizeBytes,
  GrammarError,
  parseDurationMs,
  parseFileMode,
  parseSizeBytes,
} from '../../../src/config-grammar/index.js';

const MS = { bare: 'ms' } as const;
const S = { bare: 's' } as const;

describe('durations', () => {
  it('reads a number with one unit', () => {
    assert.equal(parseDurationMs('500ms', MS), 500);
    assert.equal(parseDurationMs('10s', MS), 10_000);
    assert.equal(parseDurationMs('5m', MS), 300_000);
    assert.equal(parseDurationMs('1h', MS), 3_600_000);
    assert.equal(parseDurationMs('2d', MS), 172_800_000);
    assert.equal(parseDurationMs(' 10 s ', MS), 10_000);
  });

  it('reads units from the largest down, each once', () => {
    assert.equal(parseDurationMs('1m30s', MS), 90_000);
    assert.equal(parseDurationMs('1h15m', S), 4_500_000);
    assert.equal(parseDurationMs('1s500ms', MS), 1500);
    for (const bad of ['30s1m', '1s1s', '5ms1s'])
      assert.throws(() => parseDurationMs(bad, MS), GrammarError, `${bad} is refused`);
  });

  it('reads decimals and rounds to whole milliseconds', () => {
    assert.equal(parseDurationMs('1.5s', MS), 1500);
    assert.equal(parseDurationMs('0.5m', MS), 30_000);
    assert.equal(parseDurationMs('1.4ms', MS), 1);
  });

  it('gives a bare number the unit of its place', () => {
    assert.equal(parseDurationMs('30', MS), 30);
    assert.equal(parseDurationMs('30', S), 30_000);
    assert.equal(parseDurationMs(30, S), 30_000);
    assert.equal(parseDurationMs(1.5, S), 1500);
    assert.equal(parseDurationMs(1000, MS), 1000);
  });

  it('refuses what is not a duration, saying what is accepted', () => {
    for (const bad of ['', 'ten', '10x', '10sec', '-5s', '1m30', 's', '5 m s', '1e3', '0x10'])
      assert.throws(
        () => parseDurationMs(bad, MS),
        (err: Error) =>
          err instanceof GrammarError &&
          err.message.includes(JSON.stringify(bad)) &&
          /500ms, 10s, 5m, 1h or 1m30s \(a bare number is milliseconds\)/.test(err.message),
        bad,
      );
    assert.throws(() => parseDurationMs(-1, S), /a bare number is seconds/);
    assert.throws(() => parseDurationMs(Number.NaN, S), GrammarError);
  });

  it('checks the bounds of its place', () => {
    assert.throws(() => parseDurationMs('50ms', { bare: 'ms', minMs: 100 }), /must be at least 100ms, got "50ms"/);
    assert.throws(() => parseDurationMs('2h', { bare: 'ms', maxMs: 3_600_000 }), /must be at most 1h/);
    assert.equal(parseDurationMs('100ms', { bare: 'ms', minMs: 100 }), 100);
  });

  it('prints durations as a user writes them', () => {
    assert.equal(formatDurationMs(10_000), '10s');
    assert.equal(formatDurationMs(900_000), '15m');
    assert.equal(formatDurationMs(90_000), '1m30s');
    assert.equal(formatDurationMs(250), '250ms');
    assert.equal(formatDurationMs(0), '0s');
    assert.equal(formatDurationMs(3_600_000), '1h');
  });

  it('reads back what it prints', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 * 86_400_000 }), (ms) => {
        assert.equal(parseDurationMs(formatDurationMs(ms), S), ms);
      }),
    );
  });
});

describe('sizes', () => {
  it('reads bytes, binary and SI units', () => {
    assert.equal(parseSizeBytes('512'), 512);
    assert.equal(parseSizeBytes(512), 512);
    assert.equal(parseSizeBytes('512B'), 512);
    assert.equal(parseSizeBytes('64KiB'), 65_536);
    assert.equal(parseSizeBytes('64MiB'), 64 * 1024 * 1024);
    assert.equal(parseSizeBytes('1GiB'), 1024 ** 3);
    assert.equal(parseSizeBytes('2TiB'), 2 * 1024 ** 4);
    assert.equal(parseSizeBytes('64kB'), 64_000);
    assert.equal(parseSizeBytes('1MB'), 1_000_000);
    assert.equal(parseSizeBytes('1GB'), 1_000_000_000);
    assert.equal(parseSizeBytes('64 mib'), 64 * 1024 * 1024);
    assert.equal(parseSizeBytes('1.5KiB'), 1536);
  });

  it('refuses one-letter units, fractions of a byte and words, saying what is accepted', () => {
    for (const bad of ['64M', '64K', '1.5', '0.1KiB', 'big', '-1', '', '64 MiB MiB'])
      assert.throws(() => parseSizeBytes(bad), GrammarError, bad);
    assert.throws(
      () => parseSizeBytes('64M'),
      /512, 64KiB, 64MiB or 1GiB \(a bare number is bytes; kB, MB, GB are 1000-based\), got "64M"/,
    );
    assert.throws(() => parseSizeBytes('0.1KiB'), /whole number of bytes/);
  });

  it('checks the bounds of its place', () => {
    assert.throws(() => parseSizeBytes('1000', { min: 1024 }), /must be at least 1KiB, got "1000"/);
    assert.equal(parseSizeBytes('1KiB', { min: 1024 }), 1024);
  });

  it('prints sizes in the largest binary unit that divides them', () => {
    assert.equal(formatSizeBytes(64 * 1024 * 1024), '64MiB');
    assert.equal(formatSizeBytes(65_536), '64KiB');
    assert.equal(formatSizeBytes(1536), '1536');
    assert.equal(formatSizeBytes(0), '0');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 50 }), (n) => assert.equal(parseSizeBytes(formatSizeBytes(n)), n)),
    );
  });
});

describe('file modes', () => {
  it('reads octal, with or without 0 or 0o', () => {
    for (const text of ['666', '0666', '0o666', '0O666']) assert.equal(parseFileMode(text), 0o666, text);
    assert.equal(parseFileMode('755'), 0o755);
    assert.equal(parseFileMode('1777'), 0o1777);
    assert.equal(parseFileMode(660), 0o660);
  });

  it('refuses what is not octal, saying what is accepted', () => {
    for (const bad of ['438', '66', '66666', 'rw-rw-rw-', '0x1b6', ''])
      assert.throws(() => parseFileMode(bad), /expected an octal file mode such as 666, 0660 or 0o755/, bad);
  });

  it('prints modes as chmod takes them', () => {
    assert.equal(formatFileMode(0o666), '666');
    assert.equal(formatFileMode(0o755), '755');
    assert.equal(formatFileMode(0o1777), '1777');
    assert.equal(formatFileMode(0o070), '070');
  });
});
