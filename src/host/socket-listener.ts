import { chmod, chown, lstat, mkdir, unlink } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** Start-up failures of the socket side, each with a stable code. */
export class SocketSetupError extends Error {
  override readonly name = 'SocketSetupError';
  constructor(
    readonly code: 'SOCKET_IN_USE' | 'SOCKET_NOT_A_SOCKET' | 'SOCKET_LISTEN_FAILED' | 'SOCKET_DIR_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SocketAccess {
  /** Mode of each socket file (connecting needs write permission on it). */
  mode: number;
  /** Mode of the socket directory when the host creates it. */
  dirMode: number;
  /** Group (numeric id) given to the directory and socket files, for a shared-group setup. */
  gid?: number;
}

/** Creates the socket directory (and applies the configured mode and group to it). */
export async function prepareSocketDir(dir: string, access: SocketAccess): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: access.dirMode });
    await chmod(dir, access.dirMode);
    if (access.gid !== undefined) await chown(dir, -1, access.gid);
  } catch (err) {
    throw new SocketSetupError('SOCKET_DIR_FAILED', `cannot prepare socket directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/** Resolves true when something accepts a connection on the socket path. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    const done = (alive: boolean): void => {
      probe.destroy();
      resolve(alive);
    };
    probe.once('connect', () => done(true));
    probe.once('error', () => done(false));
    probe.setTimeout(1000, () => done(false));
  });
}

/**
 * Clears the way for a socket file: a stale socket (left behind by a crash, nothing answers)
 * is removed; a live one (another host is serving it) or a non-socket file stops start-up.
 */
export async function claimSocketPath(path: string): Promise<'free' | 'replaced-stale'> {
  let info;
  try {
    info = await lstat(path);
  } catch {
    return 'free';
  }
  if (!info.isSocket()) {
    throw new SocketSetupError('SOCKET_NOT_A_SOCKET', `${path} exists and is not a socket; refusing to replace it`);
  }
  if (await answers(path)) {
    throw new SocketSetupError('SOCKET_IN_USE', `${path} is in use: another process answers on it (is another kudf serve running?)`);
  }
  await unlink(path);
  return 'replaced-stale';
}

/** Listens on a Unix socket path with the configured permissions. */
export async function listenUnix(path: string, access: SocketAccess, onConnection: (socket: Socket) => void): Promise<Server> {
  // A readable high-water mark of 0 keeps a paused connection from reading ahead (read-gate.ts);
  // the writable one is 0 too, which only makes every write() return false: Connection bounds
  // its replies by writableLength and write callbacks, not by that return value.
  const server = createServer({ allowHalfOpen: true, highWaterMark: 0 }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new SocketSetupError('SOCKET_LISTEN_FAILED', `cannot listen on ${path}: ${err.message}`, { cause: err })));
    server.listen({ path, backlog: 1024 }, () => resolve());
  });
  await chmod(path, access.mode);
  if (access.gid !== undefined) await chown(path, -1, access.gid);
  return server;
}
