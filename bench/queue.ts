/**
 * Throughput of the durable queue: lines appended (in writes of 100, as a poller or
 * `kudf publish` would) and then replayed (peek + ack in batches of 1000, as the pump does),
 * on the real disk under the OS temp dir, plus the bytes each line costs on disk.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatLine } from '../src/line-protocol/index.js';
import { DurableQueue } from '../src/ingest/writer/internal.js';

export async function benchQueue(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'kudf-bench-queue-'));
  const total = 200_000;
  const perWrite = 100;
  const t0 = 1_700_000_000_000_000_000n;
  const lines: string[] = [];
  for (let i = 0; i < total; i++) {
    lines.push(
      formatLine({
        measurement: 'dsl',
        tags: { router: 'fritzbox-7590', line: '1', direction: i % 2 === 0 ? 'down' : 'up' },
        fields: {
          snr_db: 6.5 + (i % 10) / 10,
          attainable_kbps: BigInt(100_000 + i),
          crc_errors: BigInt(i % 97),
          state: 'showtime',
        },
        time: t0 + BigInt(i) * 1_000_000_000n,
      }),
    );
  }
  try {
    const q = DurableQueue.open(dir, { maxBytes: 1024 * 1024 * 1024 });
    const a0 = performance.now();
    for (let i = 0; i < total; i += perWrite) {
      q.append(lines.slice(i, i + perWrite));
      // One fsync per 1000 lines: what a flush interval amounts to under load.
      if ((i / perWrite) % 10 === 9) q.sync();
    }
    q.sync();
    const appendMs = performance.now() - a0;
    const onDisk = readdirSync(dir)
      .filter((f) => f.startsWith('seg-'))
      .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    q.close();

    const r = DurableQueue.open(dir, { maxBytes: 1024 * 1024 * 1024 });
    const r0 = performance.now();
    let replayed = 0;
    for (let b = r.peek(1000, 8 * 1024 * 1024); b !== undefined; b = r.peek(1000, 8 * 1024 * 1024)) {
      replayed += b.lines.length;
      r.ack(b, b.lines.length);
    }
    const replayMs = performance.now() - r0;
    r.close();
    if (replayed !== total) throw new Error(`replayed ${replayed} of ${total}`);
    const lpBytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    return {
      lines: total,
      appendLinesPerSec: Math.round(total / (appendMs / 1000)),
      replayLinesPerSec: Math.round(total / (replayMs / 1000)),
      bytesOnDiskPerLine: Math.round((onDisk / total) * 10) / 10,
      lineProtocolBytesPerLine: Math.round((lpBytes / total) * 10) / 10,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
