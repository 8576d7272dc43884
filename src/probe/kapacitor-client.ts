import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import {
  FrameDecoder,
  decodeResponse,
  encodeFrame,
  encodeRequest,
  type InitOption,
  type Request,
  type Response,
} from '../protocol/index.js';

/** Failures as Kapacitor would see them, each with a stable code. */
export class ProbeError extends Error {
  override readonly name = 'ProbeError';
  constructor(
    readonly code:
      | 'KUDF_PROBE_CONNECT'
      | 'KUDF_PROBE_UDF_ERROR'
      | 'KUDF_PROBE_KEEPALIVE_TIMEOUT'
      | 'KUDF_PROBE_CLOSED'
      | 'KUDF_PROBE_BAD_FRAME'
      | 'KUDF_PROBE_UNEXPECTED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

type Management = Extract<Response, { kind: 'info' | 'init' | 'snapshot' | 'restore' }>;
type Data = Extract<Response, { kind: 'point' | 'begin' | 'end' }>;

export interface ClientOptions {
  /** Kapacitor's `[udf.functions.x] timeout`: keepalives go every timeout/2, silence for timeout aborts. 0 disables. */
  timeoutMs: number;
  /** Every data response (points and batch framing), in order. */
  onData?: (response: Data) => void;
}

/**
 * A Kapacitor-side UDF client that behaves as Kapacitor's `udf/server.go` does: it sends framed
 * Requests, treats an ErrorResponse as fatal, hands each Info/Init/Snapshot/Restore reply to the
 * request waiting for it, sends keepalives every timeout/2 and aborts after `timeout` without
 * any response, and ends a task by closing its write side and waiting for the UDF to close.
 */
export class KapacitorClient {
  private readonly decoder = new FrameDecoder();
  private waiting: { resolve: (r: Management) => void; reject: (e: Error) => void } | undefined;
  // Like Kapacitor, an unrequested management reply is held in one slot for the next request.
  private held: Management | undefined;
  private failure: ProbeError | undefined;
  private lastResponse = Date.now();
  private keepaliveTimer: NodeJS.Timeout | undefined;
  // A send waiting for 'drain', failed when the task ends instead: an ended writable never
  // drains, and a promise left pending would let the process exit with nothing said (code 13).
  private drainWaiter: ((error: ProbeError) => void) | undefined;
  private readonly eof: Promise<void>;
  private readonly child: ChildProcess | undefined;
  readonly data: Data[] = [];
  keepalivesAnswered = 0;

  private constructor(
    private readonly input: Readable,
    private readonly output: Writable,
    private readonly options: ClientOptions,
    child?: ChildProcess,
  ) {
    this.child = child;
    this.eof = new Promise((resolve) => {
      input.on('end', () => resolve());
      input.on('close', () => resolve());
    });
    input.on('data', (chunk: Buffer) => this.onBytes(chunk));
    input.on('error', (err) =>
      this.abort(new ProbeError('KUDF_PROBE_CLOSED', `read failed: ${err.message}`, { cause: err })),
    );
    output.on('error', (err) =>
      this.abort(new ProbeError('KUDF_PROBE_CLOSED', `write failed: ${err.message}`, { cause: err })),
    );
    void this.eof.then(() => {
      this.stopKeepalives();
      const error = this.failure ?? new ProbeError('KUDF_PROBE_CLOSED', 'the UDF closed the connection');
      this.waiting?.reject(error);
      this.waiting = undefined;
      this.drainWaiter?.(error);
    });
  }

  /** Connects to a socket UDF. */
  static async connectSocket(path: string, options: ClientOptions): Promise<KapacitorClient> {
    const socket = connect({ path, allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (err) =>
        reject(new ProbeError('KUDF_PROBE_CONNECT', `cannot connect to ${path}: ${err.message}`, { cause: err })),
      );
    });
    return new KapacitorClient(socket, socket, options);
  }

  /** Starts a process UDF (`prog` + `args`), talking over its stdin/stdout; its stderr is passed through unless piped. */
  static spawnProcess(
    prog: string,
    args: readonly string[],
    options: ClientOptions & { stderr?: 'inherit' | 'pipe' },
    env?: NodeJS.ProcessEnv,
  ): KapacitorClient {
    const child = spawn(prog, args, { stdio: ['pipe', 'pipe', options.stderr ?? 'inherit'], env: env ?? process.env });
    if (child.stdout === null || child.stdin === null)
      throw new ProbeError('KUDF_PROBE_CONNECT', `cannot start ${prog}`);
    const client = new KapacitorClient(child.stdout, child.stdin, options, child);
    child.on('error', (err) =>
      client.abort(new ProbeError('KUDF_PROBE_CONNECT', `cannot start ${prog}: ${err.message}`, { cause: err })),
    );
    return client;
  }

  /** The process UDF's stderr when spawned with `stderr: 'pipe'`. */
  get processStderr(): Readable | null {
    return this.child?.stderr ?? null;
  }

  get failed(): ProbeError | undefined {
    return this.failure;
  }

  /** Sends a request (one frame). */
  send(request: Request): void {
    if (this.failure !== undefined) throw this.failure;
    this.output.write(encodeFrame(encodeRequest(request)));
  }

  /** Sends many requests as one write, as a pipelined load generator does. */
  sendMany(requests: readonly Request[]): boolean {
    if (this.failure !== undefined) throw this.failure;
    const frames = requests.map((r) => encodeFrame(encodeRequest(r)));
    return this.output.write(Buffer.concat(frames));
  }

  /** Resolves when the output side can take more (after `sendMany` returned false). */
  drained(): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.drainWaiter = undefined;
        resolve();
      };
      this.output.once('drain', onDrain);
      this.drainWaiter = (error) => {
        this.drainWaiter = undefined;
        this.output.off('drain', onDrain);
        reject(error);
      };
    });
  }

  async info(): Promise<Extract<Response, { kind: 'info' }>> {
    return this.expect('info', { kind: 'info' });
  }

  async init(options: InitOption[], taskID = 'probe', nodeID = 'udf1'): Promise<Extract<Response, { kind: 'init' }>> {
    return this.expect('init', { kind: 'init', options, taskID, nodeID });
  }

  async snapshot(): Promise<Uint8Array> {
    return (await this.expect('snapshot', { kind: 'snapshot' })).snapshot;
  }

  async restore(snapshot: Uint8Array): Promise<Extract<Response, { kind: 'restore' }>> {
    return this.expect('restore', { kind: 'restore', snapshot });
  }

  /** Sends keepalives every timeout/2 and aborts after `timeoutMs` without any response. */
  startKeepalives(): void {
    if (this.options.timeoutMs <= 0 || this.keepaliveTimer !== undefined) return;
    this.lastResponse = Date.now();
    this.keepaliveTimer = setInterval(
      () => {
        if (Date.now() - this.lastResponse > this.options.timeoutMs) {
          this.abort(
            new ProbeError(
              'KUDF_PROBE_KEEPALIVE_TIMEOUT',
              `keepalive timed out, last response ${Date.now() - this.lastResponse}ms ago`,
            ),
          );
          return;
        }
        this.send({ kind: 'keepalive', time: BigInt(Date.now()) * 1_000_000n });
      },
      Math.max(1, Math.floor(this.options.timeoutMs / 2)),
    );
    this.keepaliveTimer.unref();
  }

  /** Ends the task as Kapacitor does: close the write side, then wait for the UDF to close. */
  async close(): Promise<void> {
    this.stopKeepalives();
    this.output.end();
    await this.eof;
    if (this.child !== undefined && this.child.exitCode === null) {
      await new Promise<void>((resolve) => this.child?.once('exit', () => resolve()));
    }
    if (this.failure !== undefined) throw this.failure;
  }

  /** Drops the connection without the orderly close. */
  destroy(): void {
    this.stopKeepalives();
    this.input.destroy();
    this.output.destroy();
    this.child?.kill('SIGKILL');
  }

  private expect<K extends Management['kind']>(kind: K, request: Request): Promise<Extract<Response, { kind: K }>> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.waiting !== undefined)
      return Promise.reject(new ProbeError('KUDF_PROBE_UNEXPECTED', 'a management request is already waiting'));
    const held = this.held;
    this.held = undefined;
    const reply =
      held !== undefined
        ? Promise.resolve(held)
        : new Promise<Management>((resolve, reject) => (this.waiting = { resolve, reject }));
    this.send(request);
    return reply.then((response) => {
      if (response.kind !== kind)
        throw new ProbeError('KUDF_PROBE_UNEXPECTED', `expected a ${kind} response, got ${response.kind}`);
      return response as Extract<Response, { kind: K }>;
    });
  }

  private onBytes(chunk: Buffer): void {
    if (this.failure !== undefined) return;
    try {
      this.decoder.feed(chunk);
      for (let body = this.decoder.nextFrame(); body !== undefined; body = this.decoder.nextFrame()) {
        this.onResponse(decodeResponse(body));
        if (this.failure !== undefined) return;
      }
    } catch (err) {
      this.abort(
        new ProbeError('KUDF_PROBE_BAD_FRAME', `bad response from the UDF: ${(err as Error).message}`, { cause: err }),
      );
    }
  }

  private onResponse(response: Response): void {
    this.lastResponse = Date.now();
    switch (response.kind) {
      case 'keepalive':
        this.keepalivesAnswered++;
        return;
      case 'error':
        this.abort(new ProbeError('KUDF_PROBE_UDF_ERROR', `the UDF reported an error: ${response.error}`));
        return;
      case 'point':
      case 'begin':
      case 'end':
        if (this.options.onData !== undefined) this.options.onData(response);
        else this.data.push(response);
        return;
      default: {
        const waiting = this.waiting;
        this.waiting = undefined;
        if (waiting === undefined) this.held = response;
        else waiting.resolve(response);
      }
    }
  }

  private abort(error: ProbeError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.stopKeepalives();
    this.waiting?.reject(error);
    this.waiting = undefined;
    this.drainWaiter?.(error);
    // Kapacitor stops reading and closes its side; the UDF sees EOF.
    this.input.pause();
    this.output.end();
  }

  private stopKeepalives(): void {
    if (this.keepaliveTimer !== undefined) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
  }
}
