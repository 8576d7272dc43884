import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameDecoder, decodeRequest, encodeUvarint } from '../../src/protocol/index.js';

/**
 * A peer on a Unix socket that sends every byte back and keeps a copy of what each connection
 * wrote: what a load generator's writes look like from the other end.
 */
export class RecordingEcho {
  /** What each connection wrote, in the order the connections came. */
  readonly received: Buffer[][] = [];

  private constructor(
    private readonly dir: string,
    private readonly server: Server,
  ) {}

  get path(): string {
    return join(this.dir, 'echo.sock');
  }

  static async start(): Promise<RecordingEcho> {
    const dir = await mkdtemp(join(tmpdir(), 'kudf-echo-'));
    const peer: RecordingEcho = new RecordingEcho(
      dir,
      createServer({ allowHalfOpen: true }, (socket) => {
        const mine: Buffer[] = [];
        peer.received.push(mine);
        socket.on('data', (chunk: Buffer) => {
          mine.push(Buffer.from(chunk));
          socket.write(chunk);
        });
        socket.on('end', () => socket.end());
      }),
    );
    await new Promise<void>((resolve) => peer.server.listen(peer.path, resolve));
    return peer;
  }

  /** Forgets what was read so far. */
  clear(): void {
    this.received.length = 0;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** The Request frames in `bytes`: the non-keepalive ones joined again as written, and the keepalives counted. */
export function requestFramesRead(bytes: Buffer): { frames: Buffer; keepalives: number; partial: boolean } {
  const decoder = new FrameDecoder({ maxFrameBytes: 1 << 20 });
  decoder.feed(bytes);
  const frames: Buffer[] = [];
  let keepalives = 0;
  for (let body = decoder.nextFrame(); body !== undefined; body = decoder.nextFrame()) {
    if (decodeRequest(body).kind === 'keepalive') keepalives++;
    else frames.push(Buffer.concat([encodeUvarint(body.length), body]));
  }
  return { frames: Buffer.concat(frames), keepalives, partial: decoder.hasPartialFrame };
}
