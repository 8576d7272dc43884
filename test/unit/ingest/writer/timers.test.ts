import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../../src/log/index.js';
import { DEFAULT_TUNING } from '../../../../src/ingest/writer/index.js';
import { systemClock } from '../../../../src/ingest/timing/index.js';
import {
  type SendOutcome,
  QueuedWriter,
  secretScrubber,
  type WriteTransport,
} from '../../../../src/ingest/writer/internal.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

/** Settles pending promise chains (the transport answers synchronously here). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

test('a partial batch waits for the flush interval and a failure waits for the backoff, on mocked timers', async (t) => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  const dir = mkdtempSync(join(tmpdir(), 'kudf-timers-'));
  t.after(() => {
    mock.timers.reset();
    rmSync(dir, { recursive: true, force: true });
  });
  const sent: string[][] = [];
  const answers: SendOutcome[] = [{ kind: 'ok' }, { kind: 'retry', reason: 'down' }, { kind: 'ok' }];
  const transport: WriteTransport = {
    description: 'in-memory',
    send: (lines) => {
      sent.push([...lines]);
      return Promise.resolve(answers.shift() ?? { kind: 'ok' });
    },
    close: () => Promise.resolve(),
  };
  const w = new QueuedWriter({
    transport,
    tuning: { ...DEFAULT_TUNING, flushIntervalMs: 1000, retryMinDelayMs: 4000, retryMaxDelayMs: 4000, batchSize: 10 },
    queueDir: dir,
    logger: createLogger({ level: 'silent' }),
    clock: systemClock,
    random: () => 1,
    scrub: secretScrubber([]),
  });
  w.write([{ measurement: 'm', tags: {}, fields: { v: 1 } }]);
  await settle();
  assert.equal(sent.length, 0, 'nothing before the flush interval');
  mock.timers.tick(999);
  await settle();
  assert.equal(sent.length, 0);
  mock.timers.tick(1);
  await settle();
  assert.deepEqual(sent, [['m v=1 1000000000000']], 'stamped with the mocked clock');

  w.write([{ measurement: 'm', tags: {}, fields: { v: 2 } }]);
  mock.timers.tick(1000);
  await settle();
  assert.equal(sent.length, 2);
  assert.equal(w.stats.queued, 1, 'the failed line stays queued');
  mock.timers.tick(3999);
  await settle();
  assert.equal(sent.length, 2, 'no retry before the backoff delay');
  mock.timers.tick(1);
  await settle();
  assert.equal(sent.length, 3);
  assert.equal(w.stats.queued, 0);
  assert.equal(w.stats.written, 2);
  await w.close();
});
