import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { addInfluxOptions } from '../../../src/cli/internal.js';
import { InfluxSettingsError, resolveInfluxSettings, type InfluxFlags } from '../../../src/ingest/writer/index.js';

test('the shared commander options parse into flags the resolver understands', () => {
  const cmd = addInfluxOptions(new Command('x').exitOverride());
  cmd.parse(
    [
      '--influx-url',
      'http://h:9',
      '--influx-db',
      'd',
      '--influx-create-db',
      '--no-influx-gzip',
      '--influx-precision',
      'ms',
    ],
    { from: 'user' },
  );
  const s = resolveInfluxSettings(cmd.opts<InfluxFlags>(), {});
  assert.equal(s.target.kind === 'v1' && s.target.createDatabase, true);
  assert.equal(s.tuning.gzip, false);
  assert.equal(s.tuning.precision, 'ms');
  const plain = addInfluxOptions(new Command('y').exitOverride());
  plain.parse([], { from: 'user' });
  assert.equal(resolveInfluxSettings(plain.opts<InfluxFlags>(), {}).tuning.gzip, true);
});

test('the dead-letter bound comes from --dead-letter-max-bytes or the config key, 64 MiB by default, at least 1 KiB', () => {
  const cmd = addInfluxOptions(new Command('x').exitOverride());
  cmd.parse(['--influx-url', 'http://h:9', '--influx-db', 'd', '--dead-letter-max-bytes', '4096'], { from: 'user' });
  assert.equal(resolveInfluxSettings(cmd.opts<InfluxFlags>(), {}).tuning.deadLetterMaxBytes, 4096);
  assert.equal(resolveInfluxSettings({ deadLetterMaxBytes: 2048 }, {}).tuning.deadLetterMaxBytes, 2048);
  assert.equal(resolveInfluxSettings({}, {}).tuning.deadLetterMaxBytes, 64 * 1024 * 1024);
  assert.throws(
    () => resolveInfluxSettings({ deadLetterMaxBytes: '100' }, {}),
    (err: unknown) => err instanceof InfluxSettingsError && err.key === '--dead-letter-max-bytes',
  );
});

test('the help shows the defaults as a user writes them', () => {
  const help = addInfluxOptions(new Command('x')).helpInformation({ error: false });
  for (const shown of [
    '(default: "10s")',
    '(default: "1s")',
    '(default: "1m")',
    '(default: "256MiB")',
    '(default: "64MiB")',
  ])
    assert.ok(help.replace(/\s+/g, ' ').includes(shown), `${shown} in\n${help}`);
  assert.ok(!/\b10000\b|\b60000\b/.test(help), help);
});
