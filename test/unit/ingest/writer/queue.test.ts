import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DurableQueue, type QueueBatch } from '../../../../src/ingest/writer/internal.js';
import { WriterError } from '../../../../src/ingest/writer/index.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kudf-queue-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function drain(q: DurableQueue, batch = 3): string[] {
  const out: string[] = [];
  for (let b = q.peek(batch, 1 << 20); b !== undefined; b = q.peek(batch, 1 << 20)) {
    out.push(...b.lines);
    q.ack(b, b.lines.length);
  }
  return out;
}

const lines = (n: number, prefix = 'm'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix} v=${i}i ${1000 + i}`);

test('lines come back in the order they were appended, across segments', (t) => {
  const dir = tempDir(t);
  const q = DurableQueue.open(dir, { maxBytes: 1 << 20, segmentBytes: 64 });
  const input = lines(40);
  for (const l of input) q.append([l]);
  assert.ok(readdirSync(dir).filter((f) => f.startsWith('seg-')).length > 3);
  assert.equal(q.pendingLines, 40);
  assert.deepEqual(drain(q), input);
  assert.equal(q.pendingLines, 0);
  assert.equal(q.pendingBytes, 0);
  q.close();
  // Consumed sealed segments are deleted; at most the active one is left.
  assert.ok(readdirSync(dir).filter((f) => f.startsWith('seg-')).length <= 1);
});

test('a reopened queue resumes after the last acknowledged line and replays the rest', (t) => {
  const dir = tempDir(t);
  const q = DurableQueue.open(dir, { maxBytes: 1 << 20, segmentBytes: 100 });
  const input = lines(10);
  q.append(input);
  const b = q.peek(4, 1 << 20) as QueueBatch;
  q.ack(b, 4);
  const unacked = q.peek(2, 1 << 20);
  assert.deepEqual(unacked?.lines, input.slice(4, 6));
  q.close();
  const again = DurableQueue.open(dir, { maxBytes: 1 << 20, segmentBytes: 100 });
  assert.equal(again.pendingLines, 6);
  assert.deepEqual(drain(again), input.slice(4));
  again.append(['n v=1i 5']);
  assert.deepEqual(drain(again), ['n v=1i 5']);
  again.close();
  const third = DurableQueue.open(dir, { maxBytes: 1 << 20 });
  assert.equal(third.pendingLines, 0);
  assert.equal(third.peek(10, 1000), undefined);
  third.close();
});

test('a line with a newline inside a string field survives the round trip', (t) => {
  const dir = tempDir(t);
  const q = DurableQueue.open(dir, { maxBytes: 1 << 20 });
  const input = ['m s="two\nlines" 1', '\x01odd v=1 2', 'm v=3 3'];
  q.append(input);
  q.close();
  const again = DurableQueue.open(dir, { maxBytes: 1 << 20 });
  assert.equal(again.pendingLines, 3);
  assert.deepEqual(drain(again), input);
  again.close();
});

test('a torn record at the end of the last segment is cut off on reopen', (t) => {
  const dir = tempDir(t);
  const warnings: string[] = [];
  const q = DurableQueue.open(dir, { maxBytes: 1 << 20 });
  q.append(['m v=1 1', 'm v=2 2']);
  q.close();
  const seg = readdirSync(dir).find((f) => f.startsWith('seg-')) as string;
  appendFileSync(join(dir, seg), 'm v=3');
  const again = DurableQueue.open(dir, { maxBytes: 1 << 20, onWarn: (m) => warnings.push(m) });
  assert.deepEqual(drain(again), ['m v=1 1', 'm v=2 2']);
  assert.equal(warnings.length, 1);
  again.append(['m v=4 4']);
  assert.deepEqual(drain(again), ['m v=4 4']);
  again.close();
});

test('over its bound the queue drops the oldest lines and says how many', (t) => {
  const dir = tempDir(t);
  const drops: number[] = [];
  const q = DurableQueue.open(dir, { maxBytes: 1024, segmentBytes: 256, onDrop: (n) => drops.push(n) });
  const input = lines(200);
  for (const l of input) q.append([l]);
  assert.ok(q.pendingBytes <= 1024);
  const kept = drain(q, 50);
  assert.equal(kept.length + q.droppedLines, 200);
  assert.equal(
    drops.reduce((a, b) => a + b, 0),
    q.droppedLines,
  );
  // What is kept is the newest, contiguous and in order.
  assert.deepEqual(kept, input.slice(200 - kept.length));
  q.close();
});

test('lines dropped while in flight and then acknowledged are not counted as dropped', (t) => {
  const dir = tempDir(t);
  const q = DurableQueue.open(dir, { maxBytes: 1024, segmentBytes: 4096 });
  q.append(lines(10));
  const inFlight = q.peek(5, 1 << 20) as QueueBatch;
  q.append(lines(80, 'x'));
  assert.ok(q.droppedLines >= 5);
  const before = q.droppedLines;
  const overlap = q.ack(inFlight, 5);
  assert.equal(overlap, 5);
  assert.equal(q.droppedLines, before - 5);
  q.close();
});

test('a second open of the same directory in one process is refused with KUDF_WRITER_QUEUE_BUSY', (t) => {
  const dir = tempDir(t);
  const q = DurableQueue.open(dir, { maxBytes: 4096 });
  assert.throws(
    () => DurableQueue.open(dir, { maxBytes: 4096 }),
    (err: unknown) => err instanceof WriterError && err.code === 'KUDF_WRITER_QUEUE_BUSY',
  );
  q.close();
  DurableQueue.open(dir, { maxBytes: 4096 }).close();
});
