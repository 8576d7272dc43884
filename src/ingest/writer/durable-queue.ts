/**
 * A directory of append-only segment files holding line-protocol lines that are not yet
 * acknowledged by the server, plus a position file saying where the unacknowledged part
 * begins.
 *
 * ```
 * queue-dir/
 *   lock                      pid of the live owner (a stale one, e.g. after SIGKILL, is taken over)
 *   seg-0000000000000001.lp   sealed segment: newline-terminated records
 *   seg-0000000000000002.lp   active segment: appended to
 *   position.json             {"segment":1,"offset":4096}: first unacknowledged byte
 * ```
 *
 * Durability: `append` writes through to the kernel at once (a killed process loses
 * nothing it appended); `sync` fsyncs the active segment (the writer calls it at every flush
 * and before every acknowledgement, so the position never points beyond data that is on
 * disk); the position file is replaced atomically (temp file, fsync, rename, directory fsync).
 * After a power loss, a torn last record is cut off.
 *
 * All I/O is synchronous on purpose: appends are small, and a synchronous append is what
 * makes `write()` crash-safe the moment it returns.
 *
 * A record is the line itself, or, for the rare line containing a newline (allowed inside
 * line-protocol string fields), a 0x01 byte followed by the JSON-encoded line.
 */
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { WriterError } from './errors.js';

const NL = 0x0a;
const JSON_MARK = '\x01';
const SEG_RE = /^seg-(\d{16})\.lp$/;

export interface QueueOptions {
  /** Bound on unacknowledged bytes; beyond it the oldest lines are dropped. */
  maxBytes: number;
  /** Segment size at which a new segment is started (default: maxBytes / 8, between 64 KiB and 16 MiB). */
  segmentBytes?: number;
  /** Told about every drop, with the number of lines and bytes dropped. */
  onDrop?: (lines: number, bytes: number) => void;
  /** Told about recovery surprises (torn tail cut, unreadable position file). */
  onWarn?: (message: string, details: Record<string, unknown>) => void;
}

/** A run of consecutive lines read from one segment. */
export interface QueueBatch {
  readonly segment: number;
  readonly start: number;
  /** `ends[i]` is the byte offset just past line `i`'s record. */
  readonly ends: readonly number[];
  readonly lines: readonly string[];
  readonly bytes: number;
}

interface Segment {
  id: number;
  size: number;
  /** Records from the head (for the head segment) or from the start (others) to the end. */
  lines: number;
}

interface Pos {
  segment: number;
  offset: number;
}

const activeDirs = new Set<string>();

export class DurableQueue {
  private readonly segments: Segment[] = [];
  private head: Pos;
  private activeFd: number | undefined;
  private unsynced = false;
  private readonly segmentBytes: number;
  private droppedLinesTotal = 0;
  private droppedBytesTotal = 0;
  private closed = false;
  readonly dir: string;

  private constructor(
    dir: string,
    private readonly opts: QueueOptions,
  ) {
    this.dir = resolve(dir);
    this.segmentBytes =
      opts.segmentBytes ?? Math.min(16 * 1024 * 1024, Math.max(64 * 1024, Math.floor(opts.maxBytes / 8)));
    this.head = { segment: 0, offset: 0 };
  }

  /** Opens (creating if needed) and recovers a queue directory. Throws {@link WriterError}. */
  static open(dir: string, opts: QueueOptions): DurableQueue {
    const q = new DurableQueue(dir, opts);
    try {
      q.recover();
    } catch (err) {
      q.releaseLock();
      if (err instanceof WriterError) throw err;
      throw new WriterError('KUDF_WRITER_QUEUE_IO', `cannot open queue ${dir}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return q;
  }

  get pendingLines(): number {
    let n = 0;
    for (const s of this.segments) n += s.lines;
    return n;
  }

  get pendingBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    const first = this.segments[0];
    return n - (first !== undefined && first.id === this.head.segment ? this.head.offset : 0);
  }

  get droppedLines(): number {
    return this.droppedLinesTotal;
  }

  get droppedBytes(): number {
    return this.droppedBytesTotal;
  }

  /** Appends lines (without trailing newlines) as one write. Drops the oldest lines first when the bound requires it. */
  append(lines: readonly string[]): void {
    this.assertOpen();
    if (lines.length === 0) return;
    let records = lines.map(encodeRecord);
    let bytes = records.reduce((n, r) => n + Buffer.byteLength(r), 0);
    if (bytes > this.opts.maxBytes) {
      // The newcomers alone exceed the bound: everything queued goes, then the oldest newcomers.
      let cut = 0;
      let cutBytes = 0;
      while (bytes - cutBytes > this.opts.maxBytes && cut < records.length)
        cutBytes += Buffer.byteLength(records[cut++] as string);
      this.dropOldest(Number.MAX_SAFE_INTEGER);
      this.noteDrop(cut, cutBytes);
      records = records.slice(cut);
      bytes -= cutBytes;
      if (records.length === 0) return;
    } else if (this.pendingBytes + bytes > this.opts.maxBytes) {
      this.dropOldest(this.pendingBytes + bytes - this.opts.maxBytes);
    }
    const active = this.activeSegment();
    const buf = Buffer.from(records.join(''), 'utf8');
    let written = 0;
    while (written < buf.length) written += writeSync(this.activeFd as number, buf, written, buf.length - written);
    active.size += buf.length;
    active.lines += records.length;
    this.unsynced = true;
  }

  /** Makes every appended line durable. */
  sync(): void {
    if (this.activeFd !== undefined && this.unsynced) {
      fdatasyncSync(this.activeFd);
      this.unsynced = false;
    }
  }

  /**
   * Reads up to `maxLines` lines (and about `maxBytes`, but at least one line) from the head,
   * without consuming them. Returns undefined when the queue is empty.
   */
  peek(maxLines: number, maxBytes: number): QueueBatch | undefined {
    this.assertOpen();
    this.skipFinishedHead();
    const seg = this.segments[0];
    if (seg === undefined || seg.lines === 0) return undefined;
    const start = this.head.offset;
    const remaining = seg.size - start;
    let want = Math.min(remaining, Math.max(maxBytes, 1));
    const fd = openSync(this.segPath(seg.id), 'r');
    try {
      for (;;) {
        const buf = Buffer.allocUnsafe(want);
        const got = readFullySync(fd, buf, start);
        const lines: string[] = [];
        const ends: number[] = [];
        let from = 0;
        while (lines.length < maxLines) {
          const nl = buf.indexOf(NL, from);
          if (nl < 0 || nl >= got) break;
          lines.push(decodeRecord(buf.toString('utf8', from, nl)));
          from = nl + 1;
          ends.push(start + from);
        }
        if (lines.length > 0) return { segment: seg.id, start, ends, lines, bytes: from };
        // The first record is longer than maxBytes: read it whole.
        if (want >= remaining)
          throw new WriterError('KUDF_WRITER_QUEUE_CORRUPT', `segment ${seg.id} ends inside a record`);
        want = Math.min(remaining, want * 2);
      }
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Consumes the first `count` lines of a batch returned by {@link peek}: the position moves
   * past them and is persisted. Returns how many of them had already been dropped by the
   * bound while they were in flight (their drop is uncounted again: they reached the server).
   */
  ack(batch: QueueBatch, count: number): number {
    this.assertOpen();
    if (count <= 0) return 0;
    const end = batch.ends[count - 1];
    if (end === undefined) throw new RangeError(`ack of ${count} lines from a batch of ${batch.lines.length}`);
    const headSeg = this.segments[0];
    let overlap: number;
    if (headSeg === undefined || headSeg.id > batch.segment) {
      overlap = count;
    } else if (headSeg.id === batch.segment && this.head.offset > batch.start) {
      overlap = batch.ends.slice(0, count).filter((e) => e <= this.head.offset).length;
    } else overlap = 0;
    if (overlap > 0) {
      this.droppedLinesTotal -= overlap;
    }
    if (headSeg !== undefined && headSeg.id === batch.segment && end > this.head.offset) {
      headSeg.lines -= count - overlap;
      this.head = { segment: batch.segment, offset: end };
      // The position must never point beyond what is on disk.
      if (this.isActive(headSeg)) this.sync();
      this.skipFinishedHead();
      this.persistPosition();
    }
    return overlap;
  }

  close(): void {
    if (this.closed) return;
    this.sync();
    if (this.activeFd !== undefined) closeSync(this.activeFd);
    this.activeFd = undefined;
    this.closed = true;
    this.releaseLock();
  }

  // ---- internals ----

  private assertOpen(): void {
    if (this.closed) throw new WriterError('KUDF_WRITER_CLOSED', `queue ${this.dir} is closed`);
  }

  private segPath(id: number): string {
    return join(this.dir, `seg-${String(id).padStart(16, '0')}.lp`);
  }

  private isActive(seg: Segment): boolean {
    return this.segments[this.segments.length - 1] === seg && this.activeFd !== undefined;
  }

  private activeSegment(): Segment {
    let last = this.segments[this.segments.length - 1];
    if (last !== undefined && this.activeFd !== undefined && last.size < this.segmentBytes) return last;
    // Seal the full segment: it is never written again, so one fsync now covers it for good.
    if (this.activeFd !== undefined) {
      fsyncSync(this.activeFd);
      closeSync(this.activeFd);
      this.activeFd = undefined;
      this.unsynced = false;
    }
    const id = (last?.id ?? this.head.segment) + 1;
    this.activeFd = openSync(this.segPath(id), 'a');
    fsyncDir(this.dir);
    last = { id, size: 0, lines: 0 };
    this.segments.push(last);
    if (this.segments.length === 1) this.head = { segment: id, offset: 0 };
    return last;
  }

  /** Moves the head past exhausted sealed segments, deleting their files. */
  private skipFinishedHead(): void {
    for (;;) {
      const seg = this.segments[0];
      if (seg === undefined || this.isActive(seg) || this.head.offset < seg.size) return;
      this.segments.shift();
      unlinkSync(this.segPath(seg.id));
      const next = this.segments[0];
      this.head = { segment: next?.id ?? seg.id, offset: 0 };
    }
  }

  /** Drops at least `need` bytes of the oldest lines (whole lines), counting them. */
  private dropOldest(need: number): void {
    let freed = 0;
    let lines = 0;
    while (freed < need) {
      this.skipFinishedHead();
      const seg = this.segments[0];
      if (seg === undefined || seg.lines === 0) break;
      const remaining = seg.size - this.head.offset;
      if (!this.isActive(seg) && remaining <= need - freed) {
        freed += remaining;
        lines += seg.lines;
        seg.lines = 0;
        this.head = { segment: seg.id, offset: seg.size };
        continue;
      }
      const batch = this.peek(Number.MAX_SAFE_INTEGER, need - freed);
      if (batch === undefined) break;
      let count = 0;
      let upTo = batch.start;
      for (const e of batch.ends) {
        count++;
        upTo = e;
        if (freed + (e - batch.start) >= need) break;
      }
      freed += upTo - batch.start;
      lines += count;
      seg.lines -= count;
      this.head = { segment: seg.id, offset: upTo };
    }
    this.skipFinishedHead();
    this.persistPosition();
    this.noteDrop(lines, freed);
  }

  private noteDrop(lines: number, bytes: number): void {
    if (lines === 0) return;
    this.droppedLinesTotal += lines;
    this.droppedBytesTotal += bytes;
    this.opts.onDrop?.(lines, bytes);
  }

  private persistPosition(): void {
    const tmp = join(this.dir, 'position.json.tmp');
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify(this.head));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, 'position.json'));
    fsyncDir(this.dir);
  }

  private recover(): void {
    mkdirSync(this.dir, { recursive: true });
    this.takeLock();
    const ids = readdirSync(this.dir)
      .map((f) => SEG_RE.exec(f)?.[1])
      .filter((m): m is string => m !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    let pos: Pos | undefined;
    try {
      const raw: unknown = JSON.parse(readFileSync(join(this.dir, 'position.json'), 'utf8'));
      if (isPos(raw)) pos = raw;
      else this.opts.onWarn?.('queue position file is malformed; replaying from the oldest segment', { dir: this.dir });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.opts.onWarn?.('queue position file is unreadable; replaying from the oldest segment', { dir: this.dir });
      }
    }
    for (const id of ids) {
      if (pos !== undefined && id < pos.segment) {
        unlinkSync(this.segPath(id));
        continue;
      }
      const path = this.segPath(id);
      let size = statSync(path).size;
      if (id === ids[ids.length - 1]) size = this.cutTornTail(path, size);
      this.segments.push({ id, size, lines: 0 });
    }
    const first = this.segments[0];
    if (first === undefined) {
      // Keep segment ids increasing across restarts, so a stale position can never match a new file.
      this.head = { segment: pos?.segment ?? 0, offset: 0 };
      return;
    }
    // A position whose segment is gone (dropped or removed by hand) means: start at the oldest file left.
    const offset = pos !== undefined && pos.segment === first.id ? Math.min(pos.offset, first.size) : 0;
    this.head = { segment: first.id, offset };
    for (const seg of this.segments) seg.lines = this.countRecords(seg, seg === first ? offset : 0);
    const last = this.segments[this.segments.length - 1] as Segment;
    if (last.size < this.segmentBytes) {
      this.activeFd = openSync(this.segPath(last.id), 'a');
    }
    this.skipFinishedHead();
  }

  /** A crash during an append can leave a partial record at the end; it was never acknowledged to anyone durable, so it goes. */
  private cutTornTail(path: string, size: number): number {
    if (size === 0) return 0;
    const fd = openSync(path, 'r+');
    try {
      const chunk = Buffer.allocUnsafe(Math.min(size, 64 * 1024));
      let end = size;
      for (;;) {
        const from = Math.max(0, end - chunk.length);
        const got = readFullySync(fd, chunk, from, end - from);
        const nl = chunk.subarray(0, got).lastIndexOf(NL);
        if (nl >= 0) {
          const keep = from + nl + 1;
          if (keep !== size) {
            ftruncateSync(fd, keep);
            fsyncSync(fd);
            this.opts.onWarn?.('cut a torn record off the end of the queue', { segment: path, bytes: size - keep });
          }
          return keep;
        }
        if (from === 0) {
          ftruncateSync(fd, 0);
          fsyncSync(fd);
          this.opts.onWarn?.('cut a torn record off the end of the queue', { segment: path, bytes: size });
          return 0;
        }
        end = from;
      }
    } finally {
      closeSync(fd);
    }
  }

  private countRecords(seg: Segment, from: number): number {
    const fd = openSync(this.segPath(seg.id), 'r');
    try {
      const buf = Buffer.allocUnsafe(1024 * 1024);
      let n = 0;
      for (let at = from; at < seg.size;) {
        const got = readFullySync(fd, buf, at, Math.min(buf.length, seg.size - at));
        if (got === 0) break;
        for (let i = buf.indexOf(NL, 0); i >= 0 && i < got; i = buf.indexOf(NL, i + 1)) n++;
        at += got;
      }
      return n;
    } finally {
      closeSync(fd);
    }
  }

  private takeLock(): void {
    if (activeDirs.has(this.dir))
      throw new WriterError('KUDF_WRITER_QUEUE_BUSY', `queue ${this.dir} is already open in this process`);
    const lock = join(this.dir, 'lock');
    try {
      const pid = Number(readFileSync(lock, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
        throw new WriterError('KUDF_WRITER_QUEUE_BUSY', `queue ${this.dir} is used by process ${pid}`);
      }
    } catch (err) {
      if (err instanceof WriterError) throw err;
    }
    writeFileSync(lock, `${process.pid}\n`);
    activeDirs.add(this.dir);
  }

  private releaseLock(): void {
    if (!activeDirs.delete(this.dir)) return;
    try {
      unlinkSync(join(this.dir, 'lock'));
    } catch {
      // Already gone: nothing to release.
    }
  }
}

function encodeRecord(line: string): string {
  return line.includes('\n') || line.startsWith(JSON_MARK) ? `${JSON_MARK}${JSON.stringify(line)}\n` : `${line}\n`;
}

function decodeRecord(record: string): string {
  return record.startsWith(JSON_MARK) ? (JSON.parse(record.slice(1)) as string) : record;
}

function readFullySync(fd: number, buf: Buffer, position: number, length = buf.length): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

function fsyncDir(dir: string): void {
  // Directory fsync makes created, renamed and removed names durable; some platforms refuse it.
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not supported here (e.g. Windows): the rename itself is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function isPos(v: unknown): v is Pos {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return Number.isSafeInteger(o['segment']) && Number.isSafeInteger(o['offset']) && (o['offset'] as number) >= 0;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
