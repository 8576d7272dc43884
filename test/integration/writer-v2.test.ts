import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/log/index.js';
import { createWriter, DEFAULT_TUNING, type InfluxSettings } from '../../src/ingest/writer/index.js';
import { VictoriaMetrics, type ExportedSeries, waitFor } from '../helpers/index.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

let vm: VictoriaMetrics;
let scratch: string;
before(async () => {
  vm = await VictoriaMetrics.start();
  scratch = mkdtempSync(join(tmpdir(), 'kudf-writer-v2-'));
});
after(async () => {
  await vm.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function settings(name: string, gzip: boolean): InfluxSettings {
  return {
    target: { kind: 'v2', url: vm.url, token: undefined, org: '', bucket: 'dsl' },
    tuning: { ...DEFAULT_TUNING, flushIntervalMs: 20, retryMinDelayMs: 20, retryMaxDelayMs: 100, batchSize: 50, gzip },
    queueDir: join(scratch, name),
  };
}

for (const gzip of [true, false]) {
  test(`points written through the v2 client (gzip ${gzip ? 'on' : 'off'}) read back from VictoriaMetrics with their values and times`, async () => {
    const m = gzip ? 'gz' : 'plain';
    const w = createWriter(settings(m, gzip), { logger: createLogger({ level: 'silent' }) });
    const base = BigInt(Date.now() - 300_000) * 1_000_000n;
    for (let k = 0; k < 120; k++) {
      w.write([
        {
          measurement: m,
          tags: { line: 'l1' },
          fields: { snr: k + 0.25, crc: BigInt(k * 1000), mode: 'vdsl' },
          time: base + BigInt(k) * 1_000_000_000n,
        },
      ]);
    }
    await w.flush();
    await waitFor('the queue to drain', async () => w.stats.queued === 0);
    await w.close();
    assert.equal(w.stats.written, 120);
    const series = await vm.export(`{__name__=~"${m}_.*"}`, 360);
    const byName: Record<string, ExportedSeries> = Object.fromEntries(
      series.map((s) => [s.metric['__name__'] ?? '', s]),
    );
    assert.equal(byName[`${m}_snr`]?.metric['line'], 'l1');
    assert.deepEqual(
      byName[`${m}_snr`]?.values,
      Array.from({ length: 120 }, (_, k) => k + 0.25),
    );
    assert.deepEqual(
      byName[`${m}_crc`]?.values,
      Array.from({ length: 120 }, (_, k) => k * 1000),
    );
    assert.deepEqual(
      byName[`${m}_mode`]?.values,
      Array.from({ length: 120 }, () => 0),
      'strings are stored as 0',
    );
    assert.deepEqual(
      byName[`${m}_snr`]?.timestamps,
      Array.from({ length: 120 }, (_, k) => Number(base / 1_000_000n) + k * 1000),
    );
  });
}
