/**
 * The flags and config shown in the docs are valid as written: the `kudf serve` synopsis of
 * docs/host.md parses, and the poll.yaml example of docs/ingest.md validates, influx section
 * included.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { buildProgram } from '../../../src/cli/internal.js';
import { validatePollConfig } from '../../../src/ingest/config/index.js';
import { resolveInfluxSettings } from '../../../src/ingest/writer/index.js';
import { REPO_ROOT } from '../../helpers/index.js';

const doc = (name: string): string => readFileSync(join(REPO_ROOT, 'docs', name), 'utf8');

/** The first fenced block after `marker`. */
function blockAfter(text: string, marker: string): string {
  const from = text.indexOf(marker);
  assert.ok(from >= 0, `${marker} not found`);
  const open = text.indexOf('\n', from) + 1;
  return text.slice(open, text.indexOf('\n```', open));
}

describe('examples in the docs', () => {
  it('every value in the kudf serve synopsis parses as the flag takes it', async () => {
    const synopsis = blockAfter(doc('host.md'), '```\nkudf serve');
    const args: string[] = [];
    // `[--flag value]`, leaving out placeholders (DIR, N, GROUP, a,b) and alternatives (json|pretty).
    for (const m of synopsis.matchAll(/\[(--[a-z-]+) ([^\]\s]+)\]/g)) {
      const value = m[2] as string;
      if (!/^[A-Z]+$/.test(value) && !value.includes('|') && value !== 'a,b') args.push(m[1] as string, value);
    }
    assert.ok(
      args.includes('--grace') && args.includes('--max-batch-bytes') && args.includes('--socket-mode'),
      args.join(' '),
    );
    const program = buildProgram();
    const serve = program.commands.find((c) => c.name() === 'serve');
    assert.ok(serve !== undefined);
    let seen: Record<string, unknown> = {};
    serve.action((flags: Record<string, unknown>) => {
      seen = flags;
    });
    await program.parseAsync(['serve', ...args], { from: 'user' });
    assert.equal(seen['grace'], 10_000);
    assert.equal(seen['socketMode'], 0o666);
    assert.equal(seen['maxBatchBytes'], 32 * 1024 * 1024);
    assert.equal(seen['maxFrameBytes'], 64 * 1024 * 1024);
  });

  it('the poll.yaml example of docs/ingest.md validates, and its influx section resolves', () => {
    const raw: unknown = parseYaml(blockAfter(doc('ingest.md'), '```yaml\nconcurrency:'));
    const config = validatePollConfig(raw, {
      env: { DSL_HOME_PASSWORD: 'x', VIGOR_KEY_PASS: 'y' },
      readFile: () => 'key',
      baseDir: '/etc/kudf',
      homeDir: '/home/u',
      file: 'poll.yaml',
    });
    assert.equal(config.maxBackoffMs, 15 * 60_000);
    assert.equal(config.routers[0]?.intervalMs, 60_000);
    const settings = resolveInfluxSettings({}, {}, undefined, { file: 'poll.yaml', influx: config.influx });
    assert.equal(settings.tuning.timeoutMs, 10_000);
    assert.equal(settings.tuning.queueMaxBytes, 256 * 1024 * 1024);
  });
});
