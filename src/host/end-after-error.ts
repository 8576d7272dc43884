import type { Socket } from 'node:net';
import { releaseReads } from './read-gate.js';

/** How long a peer that keeps writing after an ErrorResponse is read before the socket is destroyed. */
const ERROR_DRAIN_MS = 2000;

/**
 * Closes our side after an ErrorResponse while reading and discarding whatever the peer still
 * sends: closing a socket with unread input resets the connection, and a peer busy writing
 * could then lose the ErrorResponse before reading it. Gives up after a grace period.
 */
export function endAfterError(socket: Socket): void {
  socket.removeAllListeners('data');
  socket.on('data', () => undefined);
  releaseReads(socket);
  socket.end();
  const timer = setTimeout(() => socket.destroy(), ERROR_DRAIN_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
