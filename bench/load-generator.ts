import type { ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { readUvarint, type Response } from '../src/protocol/index.js';
import {
  CTRL,
  WAKE_SLOTS,
  type FrameWriterConnection,
  type FrameWriterMessage,
  type FrameWriterSetup,
} from './frame-writer-thread.js';
import { procCpuSeconds, procReadCalls } from './children.js';
import { spawnOverPipes } from './process-pipes.js';
import { ResponseCounter } from './response-counter.js';
import { runGoLoad } from './go-client.js';
import { countsError, sumConnections } from './load-sum.js';
import { initFrame, keepaliveFrame, type Workload } from './workloads.js';

/** A function in process mode: the command Kapacitor's `prog` and `args` would start, one per connection. */
export interface ProcessTarget {
  command: string;
  args: readonly string[];
  cwd?: string;
}

/**
 * Where a connection goes: a Unix socket (socket mode), or a child process of its own spoken to
 * over pipes on its stdin and stdout (process mode, as Kapacitor's `prog` runs one per task).
 */
export type LoadTarget = { socketPath: string; process?: never } | { process: ProcessTarget; socketPath?: never };

export type LoadOptions = LoadTarget & LoadSettings;

export interface LoadSettings {
  workload: Workload;
  /** Points to send on this connection (rounded up to whole chunks); 0 sends only keepalives for maxSeconds. */
  maxPoints: number;
  /** Stop sending after this long even if maxPoints is not reached. */
  maxSeconds: number;
  /** KeepaliveRequest period; 0 sends none. */
  keepaliveMs: number;
  /** At most this many points sent but not yet returned; undefined: paced by write completion only. */
  window?: number;
  /** false: never read a byte after Init (the peer that sends and never reads). */
  read?: boolean;
  /** How the run ends: 'close' ends the write side and waits for the host to close; 'destroy' drops it. */
  finish?: 'close' | 'destroy';
  /** Called on every sampling tick while sending (the suite samples host RSS with it). */
  onTick?: () => void;
  /**
   * Largest single write, in bytes (whole frames; default {@link DEFAULT_WRITE_BYTES}). The
   * next write waits for the earlier ones to complete, so this is also how much of the generator's own queue a
   * keepalive can wait behind before it reaches the kernel.
   */
  writeBytes?: number;
  /** Send at most this many points per second (undefined: as fast as the host takes them). */
  pointsPerSec?: number;
  /**
   * How points go out. 'chunked' (default): slices of many whole frames, as above. 'kapacitor':
   * as a Kapacitor UDF node writes, every frame in two write(2) calls (length, then body),
   * unbuffered, from a writer thread beside the reader ({@link WRITE_MODES}). 'go': the same
   * pattern from the Go client (go-client.ts), saturating socket connections only, through
   * {@link runLoad}.
   */
  writes?: WriteMode;
}

/** The generator's write patterns. */
export const WRITE_MODES = ['chunked', 'kapacitor', 'go'] as const;
export type WriteMode = (typeof WRITE_MODES)[number];

const FRAME_WRITER_URL = new URL('./frame-writer-thread.js', import.meta.url);

type WriterDone = Extract<FrameWriterMessage, { type: 'done' }>;

/** The one writer thread of Kapacitor's write mode, shared by every connection of this process. */
class WriterThread {
  private readonly worker: Worker;
  private readonly wakeSlots = new Int32Array(new SharedArrayBuffer(WAKE_SLOTS * Int32Array.BYTES_PER_ELEMENT));
  private nextId = 1;
  private readonly waiting = new Map<number, { ready: () => void; done: (m: WriterDone) => void }>();

  constructor() {
    const setup: FrameWriterSetup = { wake: this.wakeSlots.buffer };
    this.worker = new Worker(FRAME_WRITER_URL, { workerData: setup });
    this.worker.on('message', (message: FrameWriterMessage) => {
      const entry = this.waiting.get(message.id);
      if (entry === undefined) return;
      if (message.type === 'ready') {
        entry.ready();
        return;
      }
      this.waiting.delete(message.id);
      entry.done(message);
    });
    const lost = (reason: string): void => {
      for (const [id, entry] of this.waiting) {
        entry.ready();
        entry.done({
          type: 'done',
          id,
          error: reason,
          sentPoints: 0,
          sentBytes: 0,
          keepalivesWritten: 0,
          writeCalls: 0,
          largestWrite: 0,
        });
      }
      this.waiting.clear();
      if (writer === this) writer = undefined;
    };
    this.worker.on('error', (err) => lost(`writer thread: ${err.message}`));
    this.worker.on('exit', () => lost('writer thread exited'));
    // The thread never ends by itself: it must not keep the generator alive (after the listeners,
    // since adding a 'message' listener refs the port again).
    this.worker.unref();
  }

  add(conn: FrameWriterConnection, onDone: (m: WriterDone) => void): { ready: Promise<void>; done: Promise<void> } {
    const id = this.nextId++;
    let ready: () => void = () => undefined;
    let done: (m: WriterDone) => void = () => undefined;
    const readyP = new Promise<void>((resolve) => (ready = resolve));
    const doneP = new Promise<void>((resolve) => {
      done = (m) => {
        onDone(m);
        resolve();
      };
    });
    this.waiting.set(id, { ready, done });
    this.worker.postMessage({ ...conn, id });
    this.wake();
    return { ready: readyP, done: doneP };
  }

  wake(): void {
    Atomics.add(this.wakeSlots, 0, 1);
    Atomics.notify(this.wakeSlots, 0);
  }
}

let writer: WriterThread | undefined;
const writerThread = (): WriterThread => (writer ??= new WriterThread());

/**
 * Kapacitor writes every frame straight to the socket, and a keepalive reaches its writer
 * through an unbuffered channel (udf/server.go), so only the kernel's socket buffer lies ahead
 * of it. Writing whole 256 KiB chunks would add up to 256 KiB of the generator's own queue to
 * every keepalive round trip; 32 KiB writes (about 270 frames each) keep that small while the
 * generator stays an order of magnitude faster than anything it measures (the echo cases).
 */
export const DEFAULT_WRITE_BYTES = 32 * 1024;
/** Queued bytes at which the next slice waits for every write to complete (Node 20's default high-water mark). */
const WAIT_MARK = 16 * 1024;

/** Size of each connection's read buffer (a Node socket reads at most 64 KiB at a time). */
const READ_BUFFER_BYTES = 64 * 1024;

interface Reader {
  onChunk(chunk: Buffer): void;
}

interface Slice {
  bytes: Buffer;
  points: number;
}

/** Cuts a chunk of whole frames into writes of at most `maxBytes` (at least one frame each). */
export function sliceFrames(chunk: Buffer, maxBytes: number): Slice[] {
  const slices: Slice[] = [];
  let start = 0;
  let pos = 0;
  let points = 0;
  while (pos < chunk.length) {
    const prefix = readUvarint(chunk, pos);
    if (prefix.status !== 'ok') throw new Error(`the chunk is not whole frames: bad length prefix at ${pos}`);
    const end = pos + prefix.bytes + prefix.value;
    if (end - start > maxBytes && points > 0) {
      slices.push({ bytes: chunk.subarray(start, pos), points });
      start = pos;
      points = 0;
    }
    pos = end;
    points++;
  }
  if (points > 0) slices.push({ bytes: chunk.subarray(start, pos), points });
  return slices;
}

export interface ConnectionResult {
  sentPoints: number;
  sentBytes: number;
  returnedPoints: number;
  expectedPoints: number;
  /** From the first point written to the last chunk handed to the kernel. */
  sendMs: number;
  /** From the first point written to the last point returned. */
  returnMs: number;
  /** From the first point written to the host closing the connection (everything processed). */
  doneMs: number;
  keepalivesSent: number;
  keepaliveMs: number[];
  /** Kapacitor's write mode: write(2) calls that wrote something, and the most bytes one of them wrote. */
  writeCalls?: { calls: number; largest: number };
  /** Process mode: CPU seconds of the connection's child from the first point written to the last one back. */
  peerCpuSeconds?: number;
  /** Process mode: read system calls of the connection's child over the same span as `peerCpuSeconds`. */
  peerReads?: number;
  /**
   * Process mode: the child's CPU seconds and the points it processed over the run's last four
   * fifths. Each run starts a fresh process, whose first fifth (module loading, code not yet
   * optimised) a long-running task pays once; the socket host is warmed up by a run apart.
   */
  peerSteady?: SteadyCpu;
  /** Why the run does not count (wrong counts, error response, timeout), if it does not. */
  error?: string;
}

/** CPU seconds spent over a number of points. */
export interface SteadyCpu {
  cpuSeconds: number;
  points: number;
}

/** A sample of the child's CPU in process mode: ms since the run started, CPU seconds, points returned. */
interface CpuSample {
  atMs: number;
  cpuSeconds: number;
  returned: number;
}

const settleMsAfterSend = 60_000;
const STALL_AFTER_CAP_MS = 10_000;

function hrNow(): bigint {
  return process.hrtime.bigint();
}

/**
 * One Kapacitor-side connection of the load generator: Init, then the workload's pre-encoded
 * chunk written again and again (each write waits for the earlier ones to complete), keepalives on a timer with their
 * round trip measured, and a reader that only counts frames. Ends like Kapacitor: write side
 * closed, then wait for the UDF to close, then check that every expected point came back.
 */
export class LoadConnection {
  private readonly counter: ResponseCounter;
  private readonly latencies: number[] = [];
  private initWaiter: ((r: Response) => void) | undefined;
  private failure: string | undefined;
  private sentPoints = 0;
  private sentBytes = 0;
  private keepalivesSent = 0;
  private startedAt = 0;
  private sendDoneAt = 0;
  private lastPointAt = 0;
  private closedAt = 0;
  private stopped = false;
  /** The time cap has passed: stop at the next chunk boundary. */
  private expired = false;
  private readonly slices: Slice[];
  private nextSlice = 0;
  private paceTimer: NodeJS.Timeout | undefined;
  private readonly closed: Promise<void>;
  /** A slice took our queue to WAIT_MARK: the next one waits until every write has completed. */
  private waitingForWrites = false;
  /** Kapacitor's write mode: the writer thread's shared control slots, while it runs. */
  private control: Int32Array | undefined;
  private keepaliveSlot: BigInt64Array | undefined;
  private writerDone: Promise<void> | undefined;
  private writeCalls: ConnectionResult['writeCalls'];
  /** Every write's callback: the generator's own 'drain', the same on every Node version. */
  private readonly afterWrite = (): void => {
    if (this.waitingForWrites && this.output.writableLength === 0) {
      this.waitingForWrites = false;
      this.pump();
    }
  };

  /** Process mode: the child's CPU seconds when the run started. */
  private peerCpuAtStart = Number.NaN;
  private peerCpu: number | undefined;
  private peerReadsAtStart = Number.NaN;
  private peerReads: number | undefined;
  private readonly peerCpuSamples: CpuSample[] = [];
  private peerSteady: SteadyCpu | undefined;

  /**
   * `input` is read and `output` written: one socket in socket mode, the ends of the child's
   * stdout and stdin in process mode, where `child` is the function's process.
   */
  private constructor(
    private readonly input: Socket,
    private readonly output: Socket,
    private readonly child: ChildProcess | undefined,
    reader: Reader,
    private readonly options: LoadOptions,
  ) {
    this.slices = sliceFrames(options.workload.chunk, options.writeBytes ?? DEFAULT_WRITE_BYTES);
    this.counter = new ResponseCounter({
      keepalive: (time) => this.latencies.push(Number(hrNow() - time) / 1e6),
      management: (r) => this.onManagement(r),
    });
    reader.onChunk = (chunk) => {
      const before = this.counter.points;
      try {
        this.counter.push(chunk);
      } catch (err) {
        this.fail(`bad response stream: ${(err as Error).message}`);
        return;
      }
      if (this.counter.points !== before) {
        this.lastPointAt = performance.now();
        if (this.options.window !== undefined) {
          if (this.control !== undefined) {
            Atomics.store(this.control, CTRL.returned, this.counter.points);
            writerThread().wake();
          } else {
            this.pump();
          }
        }
      }
    };
    input.on('error', (err) => this.fail(`socket error: ${err.message}`));
    if (output !== input) {
      // A child that has exited closes its stdin: writes to it then fail with EPIPE, which the
      // read side's end reports better.
      output.on('error', (err) => this.fail(`stdin of the child: ${err.message}`));
      input.once('close', () => output.destroy());
    }
    this.closed = new Promise((resolve) => input.once('close', () => resolve()));
  }

  static async open(options: LoadOptions): Promise<LoadConnection> {
    if (options.writes === 'go') throw new Error('the go write mode runs whole loads, through runLoad');
    // Every read lands in one buffer of this connection's own (the counter keeps no reference
    // to a chunk): a fresh buffer per read would be garbage for our collector, and its pauses
    // would count as keepalive round trips of the host (Kapacitor, in Go, pauses far less).
    const reader: Reader = { onChunk: () => undefined };
    const readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
    const onRead = (n: number, buf: Uint8Array): void => reader.onChunk(buf.subarray(0, n) as Buffer);
    let conn: LoadConnection;
    if (options.process !== undefined) {
      const piped = await spawnOverPipes({ ...options.process, readBuffer, onRead });
      conn = new LoadConnection(piped.fromChild, piped.toChild, piped.child, reader, options);
    } else {
      const socket = connect({
        path: options.socketPath,
        allowHalfOpen: true,
        onread: {
          buffer: readBuffer,
          callback: (n: number, buf: Uint8Array) => {
            onRead(n, buf);
            return true;
          },
        },
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      conn = new LoadConnection(socket, socket, undefined, reader, options);
    }
    if (options.workload.init !== undefined) await conn.init(options.workload.init);
    if (options.read === false) conn.input.pause();
    if (options.writes === 'kapacitor') await conn.startWriterThread();
    return conn;
  }

  private init(options: NonNullable<Workload['init']>): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no InitResponse within 10s')), 10_000);
      this.initWaiter = (r) => {
        clearTimeout(timer);
        if (r.kind === 'init' && r.success) resolve();
        else
          reject(
            new Error(
              `Init failed: ${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`,
            ),
          );
      };
      this.output.write(initFrame(options));
    });
  }

  /** Sends until maxPoints or maxSeconds, then ends the connection and waits for it to close. */
  async run(): Promise<ConnectionResult> {
    const { options } = this;
    this.startedAt = performance.now();
    const deadline = this.startedAt + options.maxSeconds * 1000;
    let keepalive: NodeJS.Timeout | undefined;
    if (options.keepaliveMs > 0) {
      keepalive = setInterval(() => {
        if (this.stopped) return;
        const control = this.control;
        if (control !== undefined) {
          // Kapacitor's ticker hands the request to the writer and waits while the writer is busy:
          // a tick that finds the slot still taken is skipped, as a blocked ticker misses it.
          if (Atomics.load(control, CTRL.keepalivePending) !== 0 || this.keepaliveSlot === undefined) return;
          this.keepaliveSlot[0] = hrNow();
          Atomics.store(control, CTRL.keepalivePending, 1);
          writerThread().wake();
          return;
        }
        this.keepalivesSent++;
        this.output.write(keepaliveFrame(hrNow()), this.afterWrite);
      }, options.keepaliveMs);
    }
    const tick = setInterval(() => {
      options.onTick?.();
      const now = performance.now();
      if (this.child?.pid !== undefined)
        this.peerCpuSamples.push({
          atMs: now - this.startedAt,
          cpuSeconds: procCpuSeconds(this.child.pid),
          returned: this.counter.points,
        });
      if (now > deadline) {
        this.expired = true;
        // Only a checked run must end on a chunk boundary; a peer that never reads is blocked mid-chunk.
        if (this.control !== undefined) {
          if (now > deadline + STALL_AFTER_CAP_MS)
            this.fail(
              `the host stopped reading: the last chunk was not taken within ${STALL_AFTER_CAP_MS / 1000}s of the time cap`,
            );
          else this.stopWriter(!this.countsChecked);
        } else if (this.nextSlice === 0 || !this.countsChecked) this.stop();
        else if (now > deadline + STALL_AFTER_CAP_MS)
          this.fail(
            `the host stopped reading: the last chunk was not taken within ${STALL_AFTER_CAP_MS / 1000}s of the time cap`,
          );
      }
    }, 100);
    const sending = new Promise<void>((resolve) => (this.onStopped = resolve));
    if (this.child?.pid !== undefined) {
      this.peerCpuAtStart = procCpuSeconds(this.child.pid);
      this.peerReadsAtStart = procReadCalls(this.child.pid);
    }
    if (this.control !== undefined) {
      Atomics.store(this.control, CTRL.go, 1);
      writerThread().wake();
    } else {
      this.pump();
    }
    await sending;
    await this.writerDone;
    clearInterval(keepalive);
    clearInterval(tick);
    if (this.child?.pid !== undefined) {
      const cpuAtEnd = await this.peerCpuOnceReturned(this.child.pid);
      this.peerCpu = cpuAtEnd - this.peerCpuAtStart;
      this.peerReads = procReadCalls(this.child.pid) - this.peerReadsAtStart;
      this.peerSteady = this.steadyCpu(cpuAtEnd, performance.now() - this.startedAt);
    }
    if (options.finish === 'destroy' || options.read === false || this.failure !== undefined) {
      this.destroyStreams();
    } else {
      this.output.end();
    }
    const settle = setTimeout(() => {
      this.fail(`host did not close within ${settleMsAfterSend / 1000}s after the write side was closed`);
      this.destroyStreams();
    }, settleMsAfterSend);
    await this.closed;
    this.closedAt = performance.now();
    clearTimeout(settle);
    return this.result();
  }

  private onStopped: () => void = () => undefined;

  /** Whether the run's returned points are checked against the expected count. */
  private get countsChecked(): boolean {
    return this.options.read !== false && this.options.finish !== 'destroy';
  }

  destroy(): void {
    this.stopped = true;
    const control = this.control;
    if (control !== undefined) {
      // A writer thread that never ran: let it go and stop at once, then close.
      Atomics.store(control, CTRL.stop, 2);
      Atomics.store(control, CTRL.go, 1);
      writerThread().wake();
      void this.writerDone?.then(() => this.destroyStreams());
      return;
    }
    this.destroyStreams();
  }

  private destroyStreams(): void {
    this.output.destroy();
    this.input.destroy();
    // A child that has not gone by itself has nothing left to do.
    if (this.child !== undefined && this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  /**
   * The child's CPU seconds once every point expected has come back (before the write side
   * closes, so its shutdown is not counted), or once the stream ends or fails first.
   */
  private async peerCpuOnceReturned(pid: number): Promise<number> {
    const expected = this.options.workload.expectedReturned(this.sentPoints);
    let open = true;
    void this.closed.then(() => (open = false));
    while (open && this.failure === undefined && this.countsChecked && this.counter.points < expected)
      await new Promise((resolve) => setTimeout(resolve, 2));
    return procCpuSeconds(pid);
  }

  /**
   * The child's CPU over the run's last four fifths, from the first sample taken a fifth of the
   * way in; undefined for a run too short to have one. Points are counted where they come back
   * and converted to points sent (edgeDetect returns one in ten).
   */
  private steadyCpu(cpuAtEnd: number, endMs: number): SteadyCpu | undefined {
    const from = this.peerCpuSamples.find((s) => s.atMs >= endMs / 5);
    const returned = this.counter.points;
    if (from === undefined || returned <= from.returned) return undefined;
    return {
      cpuSeconds: cpuAtEnd - from.cpuSeconds,
      points: ((returned - from.returned) * this.sentPoints) / returned,
    };
  }

  /**
   * Kapacitor's write mode: every frame from the writer thread, two write(2) calls each. The
   * connection is registered here and waits for run(), so setting up is not counted in the run.
   */
  private async startWriterThread(): Promise<void> {
    const { options } = this;
    const handle = (this.output as unknown as { _handle?: { fd?: number } | null })._handle;
    const fd = handle?.fd;
    if (fd === undefined || fd < 0)
      throw new Error('Kapacitor write mode needs the socket descriptor, which this Node does not expose');
    if (this.output.writableLength > 0) throw new Error('Kapacitor write mode started with writes still queued');
    const control = new SharedArrayBuffer(CTRL.length * Int32Array.BYTES_PER_ELEMENT);
    const keepaliveTime = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
    this.control = new Int32Array(control);
    this.keepaliveSlot = new BigInt64Array(keepaliveTime);
    const registered = writerThread().add(
      {
        id: 0,
        fd,
        chunk: options.workload.chunk,
        control,
        keepaliveTime,
        maxPoints:
          options.maxPoints === 0
            ? 0
            : Math.ceil(options.maxPoints / options.workload.pointsPerChunk) * options.workload.pointsPerChunk,
        ...(options.window !== undefined ? { window: options.window } : {}),
        ...(options.pointsPerSec !== undefined ? { pointsPerSec: options.pointsPerSec } : {}),
      },
      (message) => {
        this.sentPoints = message.sentPoints;
        this.sentBytes = message.sentBytes;
        this.keepalivesSent = message.keepalivesWritten;
        this.writeCalls = { calls: message.writeCalls, largest: message.largestWrite };
        if (message.error !== undefined) this.fail(message.error);
        // The descriptor is the writer's until it has finished: only then may the socket close.
        this.control = undefined;
        this.stop();
      },
    );
    this.writerDone = registered.done;
    await registered.ready;
  }

  /** Asks the writer thread to stop at the next chunk boundary, or at once. */
  private stopWriter(now: boolean): void {
    const control = this.control;
    if (control === undefined) return;
    if (now) Atomics.store(control, CTRL.stop, 2);
    else Atomics.compareExchange(control, CTRL.stop, 0, 1);
    writerThread().wake();
  }

  private stop(): void {
    if (this.control !== undefined) {
      // The writer thread decides when sending ends; the socket is closed only after its report.
      this.stopWriter(this.failure !== undefined);
      return;
    }
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.paceTimer);
    this.sendDoneAt = performance.now();
    this.onStopped();
  }

  /**
   * Writes the chunk slice by slice. A run ends only between whole chunks, where the points
   * sent make whole cycles of the workload and the expected count is exact.
   */
  private pump(): void {
    const { options } = this;
    while (!this.stopped) {
      if (this.failure !== undefined) {
        this.stop();
        return;
      }
      if (this.nextSlice === 0) {
        if (this.expired || (options.maxPoints > 0 && this.sentPoints >= options.maxPoints)) {
          this.stop();
          return;
        }
        if (options.maxPoints === 0) return;
      }
      if (options.window !== undefined && this.sentPoints - this.counter.points >= options.window) return;
      if (options.pointsPerSec !== undefined && this.aheadOfPace(options.pointsPerSec)) return;
      const slice = this.slices[this.nextSlice] as Slice;
      this.nextSlice = (this.nextSlice + 1) % this.slices.length;
      this.sentPoints += slice.points;
      this.sentBytes += slice.bytes.length;
      // As a socket with a 16 KiB high-water mark reports it (write() returning false, then
      // 'drain'), fixed here rather than left to Node's default, which is 64 KiB from Node 22:
      // a 32 KiB slice always waits, so our own queue ahead of a keepalive stays one slice.
      const queued = this.output.writableLength + slice.bytes.length;
      this.output.write(slice.bytes, this.afterWrite);
      if (queued >= WAIT_MARK) {
        this.waitingForWrites = true;
        return;
      }
    }
  }

  /** True (and a wake-up is set) when the points sent so far are ahead of the given rate. */
  private aheadOfPace(pointsPerSec: number): boolean {
    const due = ((performance.now() - this.startedAt) / 1000) * pointsPerSec;
    if (this.sentPoints < due) return false;
    this.paceTimer ??= setTimeout(
      () => {
        this.paceTimer = undefined;
        this.pump();
      },
      Math.max(1, ((this.sentPoints - due) / pointsPerSec) * 1000),
    );
    return true;
  }

  private onManagement(r: Response): void {
    if (r.kind === 'error') {
      this.fail(`ErrorResponse: ${r.error}`);
      return;
    }
    const waiter = this.initWaiter;
    this.initWaiter = undefined;
    if (waiter !== undefined) waiter(r);
    else this.fail(`unexpected ${r.kind} response`);
  }

  private fail(reason: string): void {
    this.failure ??= reason;
    this.stop();
  }

  private result(): ConnectionResult {
    const expected = this.options.workload.expectedReturned(this.sentPoints);
    let error = this.failure;
    if (error === undefined && this.countsChecked)
      error = countsError({
        returned: this.counter.points,
        expected,
        atFrameBoundary: this.counter.atFrameBoundary,
        keepalivesSent: this.keepalivesSent,
        keepalivesAnswered: this.latencies.length,
      });
    return {
      sentPoints: this.sentPoints,
      sentBytes: this.sentBytes,
      returnedPoints: this.counter.points,
      expectedPoints: expected,
      sendMs: this.sendDoneAt - this.startedAt,
      returnMs: (this.lastPointAt || this.sendDoneAt) - this.startedAt,
      doneMs: this.closedAt - this.startedAt,
      keepalivesSent: this.keepalivesSent,
      keepaliveMs: this.latencies,
      ...(this.writeCalls !== undefined ? { writeCalls: this.writeCalls } : {}),
      ...(this.peerCpu !== undefined ? { peerCpuSeconds: this.peerCpu } : {}),
      ...(this.peerReads !== undefined ? { peerReads: this.peerReads } : {}),
      ...(this.peerSteady !== undefined ? { peerSteady: this.peerSteady } : {}),
      ...(error !== undefined ? { error } : {}),
    };
  }
}

export interface LoadResult {
  connections: ConnectionResult[];
  sentPoints: number;
  returnedPoints: number;
  sentPerSec: number;
  returnedPerSec: number;
  /** Points sent over the time until every connection was closed by the host: the processing rate. */
  processedPerSec: number;
  keepaliveMs: number[];
  /** Process mode: the children's CPU seconds, summed over the connections. */
  peerCpuSeconds?: number;
  /** Process mode: the children's read system calls, summed over the connections. */
  peerReads?: number;
  /** Process mode: each connection's last four fifths, summed (absent if one connection has none). */
  peerSteady?: SteadyCpu;
  /** The go write mode: the Go client's own CPU seconds over the run (the generator's, outside this process). */
  clientCpuSeconds?: number;
  errors: string[];
}

function steadySum(results: readonly ConnectionResult[]): { peerSteady?: SteadyCpu } {
  if (results.length === 0 || results.some((r) => r.peerSteady === undefined)) return {};
  return {
    peerSteady: {
      cpuSeconds: results.reduce((sum, r) => sum + (r.peerSteady?.cpuSeconds ?? 0), 0),
      points: results.reduce((sum, r) => sum + (r.peerSteady?.points ?? 0), 0),
    },
  };
}

/** Runs `count` connections at once (all opened and initialised first) and sums them up. */
export async function runLoad(count: number, options: LoadOptions): Promise<LoadResult> {
  if (options.writes === 'go') return runGoLoad(count, options);
  const conns: LoadConnection[] = [];
  try {
    for (let i = 0; i < count; i++)
      conns.push(await LoadConnection.open({ ...options, maxPoints: Math.ceil(options.maxPoints / count) }));
  } catch (err) {
    for (const c of conns) c.destroy();
    throw err;
  }
  const results = await Promise.all(conns.map((c) => c.run()));
  return {
    ...sumConnections(results),
    ...(options.process !== undefined
      ? {
          peerCpuSeconds: results.reduce((sum, r) => sum + (r.peerCpuSeconds ?? Number.NaN), 0),
          peerReads: results.reduce((sum, r) => sum + (r.peerReads ?? Number.NaN), 0),
        }
      : {}),
    ...steadySum(results),
  };
}
