import type { Socket } from 'node:net';
import {
  FrameDecoder,
  decodeResponse,
  encodeFrame,
  encodeRequest,
  type Request,
  type Response,
} from '../../src/protocol/index.js';
import { rawConnect, seqPoint } from './raw-peer.js';

/**
 * A task connection driven byte by byte from the test: every response is kept in order, every
 * write can be awaited until the kernel has it, and keepalive round trips are timed. Used where
 * the test must know exactly what was sent before some moment (a signal, a fault).
 */
export class TaskPeer {
  readonly responses: Response[] = [];
  /** Milliseconds from each keepalive sent to its answer, in order. */
  readonly keepaliveRtts: number[] = [];
  readonly closed: Promise<void>;
  private readonly decoder = new FrameDecoder();
  private readonly pendingKeepalives = new Map<bigint, number>();
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private nextKeepalive = 1n;
  private waiters: Array<{ test: (r: Response) => boolean; resolve: (r: Response) => void }> = [];
  badReply: string | undefined;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.feed(chunk);
        for (let b = this.decoder.nextFrame(); b !== undefined; b = this.decoder.nextFrame())
          this.onResponse(decodeResponse(b));
      } catch (err) {
        this.badReply = (err as Error).message;
      }
    });
    socket.on('error', () => undefined);
    socket.on('end', () => socket.end());
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => this.stopKeepalives());
  }

  static async connect(path: string): Promise<TaskPeer> {
    return new TaskPeer(await rawConnect(path));
  }

  /** Connects and initialises a task with no options; rejects unless Init succeeds. */
  static async task(
    path: string,
    taskID: string,
    options: Extract<Request, { kind: 'init' }>['options'] = [],
  ): Promise<TaskPeer> {
    const peer = await TaskPeer.connect(path);
    await peer.write([{ kind: 'init', options, taskID, nodeID: 'n' }]);
    const reply = await peer.next((r) => r.kind === 'init' || r.kind === 'error');
    if (reply.kind !== 'init' || !reply.success) throw new Error(`Init of ${taskID} failed: ${JSON.stringify(reply)}`);
    return peer;
  }

  /** Writes requests as one chunk; resolves once the kernel has taken them (false if the socket is gone). */
  write(requests: readonly Request[]): Promise<boolean> {
    return this.writeBytes(Buffer.concat(requests.map((r) => encodeFrame(encodeRequest(r)))));
  }

  writeBytes(bytes: Uint8Array): Promise<boolean> {
    if (this.socket.destroyed || this.socket.writableEnded) return Promise.resolve(false);
    return new Promise((resolve) => this.socket.write(bytes, (err) => resolve(err === undefined || err === null)));
  }

  /** Resolves with the first response (already received or still to come) that passes `test`. */
  next(test: (r: Response) => boolean): Promise<Response> {
    const found = this.responses.find(test);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  /** Sends a keepalive every `everyMs` and times each answer. */
  startKeepalives(everyMs: number): void {
    this.keepaliveTimer = setInterval(() => {
      const time = this.nextKeepalive++;
      this.pendingKeepalives.set(time, performance.now());
      void this.write([{ kind: 'keepalive', time }]);
    }, everyMs);
  }

  stopKeepalives(): void {
    if (this.keepaliveTimer !== undefined) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
  }

  /** Keepalives sent and not answered yet, with how long each has waited so far. */
  unansweredKeepaliveAges(): number[] {
    const now = performance.now();
    return [...this.pendingKeepalives.values()].map((sent) => now - sent);
  }

  /** The `seq` field of every point received, in order. */
  seqs(): number[] {
    return this.responses.flatMap((r) => (r.kind === 'point' ? [Number(r.point.fields['seq'])] : []));
  }

  errors(): string[] {
    return this.responses.flatMap((r) => (r.kind === 'error' ? [r.error] : []));
  }

  /** Closes the write side as Kapacitor does when it stops a task. */
  end(): void {
    this.stopKeepalives();
    this.socket.end();
  }

  destroy(): void {
    this.stopKeepalives();
    this.socket.destroy();
  }

  private onResponse(response: Response): void {
    if (response.kind === 'keepalive') {
      const sent = this.pendingKeepalives.get(response.time);
      if (sent !== undefined) {
        this.pendingKeepalives.delete(response.time);
        this.keepaliveRtts.push(performance.now() - sent);
      }
    }
    this.responses.push(response);
    this.waiters = this.waiters.filter((w) => {
      if (!w.test(response)) return true;
      w.resolve(response);
      return false;
    });
  }
}

/** Point requests with `seq` from `from` to `from + n - 1`. */
export function seqPoints(from: number, n: number): Request[] {
  return Array.from({ length: n }, (_, i) => ({ kind: 'point' as const, point: seqPoint(from + i) }));
}

/** The p-th percentile (0-100) of `values`, 0 when there are none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}
