import type { Socket } from 'node:net';

/**
 * Stopping and restarting a socket's reads at once, with nothing read ahead in between.
 *
 * `socket.pause()` alone only stops the 'data' events: Node goes on reading from the kernel into
 * the stream's own buffer until that holds its high-water mark, which is one whole read (up to
 * 64 KiB) for every paused connection. Bytes parked there are out of sight of the keepalive
 * scanner, so a keepalive behind them waited for one more chunk to be processed, and at
 * saturation that was a quarter of its round trip (movingAverage, 4 connections: 244 -> 178 KB
 * ahead of the median keepalive).
 *
 * Two parts: the listening server gives its sockets a readable high-water mark of 0
 * (`highWaterMark: 0` in `createServer`), so the stream never asks for more on its own while
 * paused; and {@link holdReads} stops the handle's reads as Node itself does for sockets with a
 * fixed read buffer (`onread`), which an accepted socket cannot be given. The handle is
 * internal: if its shape is not the one expected, both functions fall back to plain
 * pause/resume, which is correct and merely reads one chunk ahead.
 */

interface ReadHandle {
  reading: boolean;
  readStart(): number;
  readStop(): number;
}

function readHandleOf(socket: Socket): ReadHandle | undefined {
  const handle = (socket as unknown as { _handle?: Partial<ReadHandle> | null })._handle;
  if (handle === null || handle === undefined) return undefined;
  if (
    typeof handle.reading !== 'boolean' ||
    typeof handle.readStart !== 'function' ||
    typeof handle.readStop !== 'function'
  )
    return undefined;
  return handle as ReadHandle;
}

/** Stops reading now: no 'data' events and no further reads from the kernel. */
export function holdReads(socket: Socket): void {
  socket.pause();
  const handle = readHandleOf(socket);
  if (handle === undefined || !handle.reading || socket.destroyed) return;
  handle.reading = false;
  handle.readStop();
}

/** Reads again after {@link holdReads}. */
export function releaseReads(socket: Socket): void {
  socket.resume();
  const handle = readHandleOf(socket);
  if (handle === undefined || handle.reading || socket.destroyed) return;
  handle.reading = true;
  const status = handle.readStart();
  if (status !== 0) socket.destroy(new Error(`cannot read from the socket again (libuv status ${status})`));
}
