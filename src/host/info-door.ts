import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { FrameDecoder, decodeRequest, encodeFrame, encodeResponse, uvarintSize } from '../protocol/index.js';
import type { UdfDefinition } from '../sdk/index.js';
import { describeUdf } from '../sdk/internal.js';
import { endAfterError } from './end-after-error.js';
import type { ErrorKind } from './observer.js';
import { holdReads } from './read-gate.js';
import { describeError } from './session.js';

/**
 * An InfoRequest frame is a few bytes (Request{info{}}: 2). Bytes of one frame beyond this, still
 * incomplete, cannot be one: the frame goes to the workers as it is, so a large frame is never
 * held here, outside the partial-frame budget the Connection keeps.
 */
const MAX_INFO_FRAME = 1024;

export interface InfoDoorOptions {
  maxFrameBytes: number;
  /** Neither Info nor any other request for this long ends the connection (0: never). */
  initTimeoutMs: number;
  /** A frame begun and given no further byte for this long ends the connection (0: never). */
  frameTimeoutMs: number;
  /** The function's definition as loaded now (a reload may change it). */
  definition(): UdfDefinition | undefined;
  log: Logger;
  /** An InfoRequest was answered. */
  onInfo(): void;
  /**
   * A request other than Info arrived: the caller serves the connection from here on. Reads are
   * held; `rest` (every byte read and not answered here, from that request on) has been put
   * back at the front of the socket's stream, so the next reader gets the bytes in order.
   */
  onHandOver(): void;
  /** The connection ended here: the peer closed (after Info, or with nothing), or a limit ended it. */
  onEnded(reason: 'eof' | 'peer' | 'error', kind?: ErrorKind): void;
}

/**
 * Reads a new connection on the main thread while no worker has started, and answers its
 * InfoRequests from the function's definition. Kapacitor asks every function for Info at its own
 * start, on a connection of its own that then closes, and `kudf health` does the same: those
 * connections need no worker, and starting the workers for them would cost their memory for as
 * long as the host runs. The first other request hands the connection over.
 */
export class InfoDoor {
  private readonly decoder: FrameDecoder;
  // Bytes read and not yet answered here: the start of the frame being received.
  private held: Buffer = Buffer.alloc(0);
  private infoAnswered = false;
  private done = false;
  private initTimer: NodeJS.Timeout | undefined;
  private frameTimer: NodeJS.Timeout | undefined;
  private readonly onData = (chunk: Buffer): void => this.read(chunk);
  private readonly onEnd = (): void => this.finish('eof', () => this.socket.end());
  private readonly onClose = (): void => this.finish('peer');
  private readonly onError = (err: Error): void => this.options.log.debug({ err: err.message }, 'socket error');

  constructor(
    private readonly socket: Socket,
    private readonly udf: string,
    private readonly options: InfoDoorOptions,
  ) {
    this.decoder = new FrameDecoder({ maxFrameBytes: options.maxFrameBytes });
    socket.on('error', this.onError);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    if (options.initTimeoutMs > 0) {
      this.initTimer = setTimeout(() => {
        if (this.infoAnswered) return;
        options.log.warn(
          { initTimeoutMs: options.initTimeoutMs, code: 'KUDF_HOST_INIT_TIMEOUT' },
          'no InitRequest in time; closing the connection',
        );
        this.fail(`no InitRequest within ${options.initTimeoutMs} ms of connecting`, 'protocol');
      }, options.initTimeoutMs);
      this.initTimer.unref();
    }
  }

  /** Ends the connection at shutdown: an Info-only peer only waits for the host to close. */
  close(): void {
    this.finish('eof', () => this.socket.end());
  }

  private read(chunk: Buffer): void {
    if (this.done) return;
    this.held = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    try {
      this.decoder.feed(chunk);
      for (let body = this.decoder.nextFrame(); body !== undefined; body = this.decoder.nextFrame()) {
        if (!this.isInfo(body)) return this.handOver();
        this.held = this.held.subarray(uvarintSize(body.length) + body.length);
        this.answerInfo();
      }
    } catch (err) {
      // An oversized or unreadable length prefix: the worker's decoder would refuse it the same way.
      this.fail(`invalid frame: ${describeError(err)}`, 'frame');
      return;
    }
    if (this.held.length > MAX_INFO_FRAME) return this.handOver();
    this.stopFrameTimer();
    const timeoutMs = this.options.frameTimeoutMs;
    if (this.held.length > 0 && timeoutMs > 0) {
      this.frameTimer = setTimeout(
        () =>
          this.fail(
            `frame stalled: ${this.held.length} bytes received, none for ${timeoutMs} ms (--frame-timeout)`,
            'frame',
          ),
        timeoutMs,
      );
      this.frameTimer.unref();
    }
  }

  private isInfo(body: Uint8Array): boolean {
    try {
      return decodeRequest(body).kind === 'info';
    } catch {
      // Not a request this door answers: the session reports what is wrong with it.
      return false;
    }
  }

  private answerInfo(): void {
    const def = this.options.definition();
    if (def === undefined) {
      this.fail(`${this.udf}: function not loaded`, 'protocol');
      return;
    }
    this.infoAnswered = true;
    this.options.onInfo();
    this.socket.write(encodeFrame(encodeResponse(describeUdf(def))));
  }

  private handOver(): void {
    this.detach();
    this.socket.off('error', this.onError);
    this.socket.on('error', () => undefined);
    holdReads(this.socket);
    if (this.held.length > 0) this.socket.unshift(this.held);
    this.held = Buffer.alloc(0);
    this.options.onHandOver();
  }

  private fail(message: string, kind: ErrorKind): void {
    this.finish(
      'error',
      () => {
        this.options.log.warn({ kind }, message);
        this.socket.write(encodeFrame(encodeResponse({ kind: 'error', error: message })));
        endAfterError(this.socket);
      },
      kind,
    );
  }

  private finish(reason: 'eof' | 'peer' | 'error', act?: () => void, kind?: ErrorKind): void {
    if (this.done) return;
    this.detach();
    act?.();
    // Counted as open until the socket is closed, as any connection is.
    if (this.socket.destroyed) this.options.onEnded(reason, kind);
    else this.socket.once('close', () => this.options.onEnded(reason, kind));
  }

  private detach(): void {
    this.done = true;
    if (this.initTimer !== undefined) clearTimeout(this.initTimer);
    this.stopFrameTimer();
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onClose);
  }

  private stopFrameTimer(): void {
    if (this.frameTimer !== undefined) clearTimeout(this.frameTimer);
    this.frameTimer = undefined;
  }
}
