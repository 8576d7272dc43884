import { constants } from 'node:fs';
import { access, chmod, chown, lstat, mkdir, stat, unlink } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname, resolve } from 'node:path';

/** Start-up failures of the socket side, each with a stable code. */
export class SocketSetupError extends Error {
  override readonly name = 'SocketSetupError';
  constructor(
    readonly code:
      | 'KUDF_SOCKET_IN_USE'
      | 'KUDF_SOCKET_NOT_A_SOCKET'
      | 'KUDF_SOCKET_LISTEN_FAILED'
      | 'KUDF_SOCKET_DIR_FAILED'
      | 'KUDF_SOCKET_PATH_TOO_LONG'
      | 'KUDF_SOCKET_START_RACE'
      | 'KUDF_SOCKET_UNKNOWN_STATE',
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
  /** Group (numeric id) given to the socket files, and to the directory when the host creates it. */
  gid?: number;
}

/**
 * Linux keeps a socket path in `sun_path`, 108 bytes with the terminating NUL. A longer path is
 * silently cut by some runtimes, which leaves a socket file under a truncated name.
 */
export const MAX_SOCKET_PATH_BYTES = 107;

/** Refuses, before anything is created, a socket path the kernel cannot bind. */
export function checkSocketPath(path: string): void {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new SocketSetupError(
      'KUDF_SOCKET_PATH_TOO_LONG',
      `socket path ${path} is ${bytes} bytes, over the ${MAX_SOCKET_PATH_BYTES} a Unix socket path may have; use a shorter --socket-dir`,
    );
  }
}

function dirFailed(dir: string, err: unknown): SocketSetupError {
  return new SocketSetupError(
    'KUDF_SOCKET_DIR_FAILED',
    `cannot prepare socket directory ${dir}: ${(err as Error).message}`,
    { cause: err },
  );
}

/**
 * Creates the missing directories of `dir` one at a time, returning the ones created (outermost
 * first). Node's own recursive mkdir retries forever where a parent answers ENOENT to mkdir while
 * existing (e.g. under /proc), so the walk is ours: each level is tried once.
 */
async function makeDirs(dir: string, mode: number): Promise<string[]> {
  const missing: string[] = [];
  for (let at = resolve(dir); ; at = dirname(at)) {
    try {
      const info = await stat(at);
      if (!info.isDirectory()) throw new Error(`${at} is not a directory`);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      missing.unshift(at);
      if (dirname(at) === at) break;
    }
  }
  const created: string[] = [];
  for (const path of missing) {
    try {
      await mkdir(path, { mode });
      created.push(path);
    } catch (err) {
      // Another process made it in between: fine, as long as it is a directory.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !(await stat(path)).isDirectory()) throw err;
    }
  }
  return created;
}

/**
 * Makes sure the socket directory exists and is usable. Only a directory the host creates gets
 * the configured mode and group; an existing one (e.g. a shared 1777 directory, or a volume
 * someone else set up) is left exactly as it is and only checked for write access.
 * Resolves true when the host created the directory.
 */
export async function prepareSocketDir(dir: string, access: SocketAccess): Promise<boolean> {
  let created: string[];
  try {
    created = await makeDirs(dir, access.dirMode);
  } catch (err) {
    throw dirFailed(dir, err);
  }
  const createdLeaf = created.includes(resolve(dir));
  try {
    if (createdLeaf) {
      // mkdir's mode is filtered through the umask; the configured mode is meant exactly.
      await chmod(dir, access.dirMode);
      if (access.gid !== undefined) await chown(dir, -1, access.gid);
    }
    await accessible(dir);
  } catch (err) {
    throw dirFailed(dir, err);
  }
  return createdLeaf;
}

async function accessible(dir: string): Promise<void> {
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new Error(`no write access for this user (uid ${process.getuid?.() ?? '?'})`, { cause: err });
  }
}

/** What a connect() to an existing socket file says about whoever holds it. */
export type Probe = 'alive' | 'stale' | { unknown: string };

function probe(path: string): Promise<Probe> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (result: Probe): void => {
      socket.destroy();
      resolve(result);
    };
    socket.once('connect', () => done('alive'));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      // Only these two mean nobody listens. EAGAIN is a full accept queue: someone is there and busy.
      if (err.code === 'ECONNREFUSED' || err.code === 'ENOENT') done('stale');
      else if (err.code === 'EAGAIN') done('alive');
      else done({ unknown: err.code ?? err.message });
    });
    // No answer at all within a second is a busy listener too, never a dead one.
    socket.setTimeout(1000, () => done('alive'));
  });
}

/**
 * A socket file refusing connections is probed again this long after, before it is removed: a
 * host starting beside us refuses for the moment between its bind and its listen (microseconds),
 * and removing its file then would leave it serving a socket nobody can reach.
 */
export const STALE_RECHECK_MS = 100;

/**
 * A socket file found refusing connections: which file and when. A file is its device, inode
 * and change time: a filesystem such as ext4 gives a file created right after an unlink the
 * inode just freed, so another host's new socket can share the stale one's inode, never its
 * change time (the stale file was made before the host that left it died).
 */
export interface StaleLook {
  dev: bigint;
  ino: bigint;
  ctimeNs: bigint;
  atMs: number;
}

/** What tells one file from another at the same path (see StaleLook). */
type FileIdentity = Pick<StaleLook, 'dev' | 'ino' | 'ctimeNs'>;

const sameFile = (a: FileIdentity, b: FileIdentity): boolean =>
  a.dev === b.dev && a.ino === b.ino && a.ctimeNs === b.ctimeNs;

/**
 * The first of the two probes of a stale socket, taken ahead for every path at once (a start
 * after a crash finds every function's file stale, and each would otherwise wait its own
 * STALE_RECHECK_MS in turn). Undefined unless the path is a socket that refused the connection.
 */
export async function lookForStale(
  path: string,
  probePath: (path: string) => Promise<Probe> = probe,
): Promise<StaleLook | undefined> {
  const stat = await lstat(path, { bigint: true }).catch(() => undefined);
  if (stat === undefined || !stat.isSocket()) return undefined;
  const atMs = Date.now();
  return (await probePath(path)) === 'stale'
    ? { dev: stat.dev, ino: stat.ino, ctimeNs: stat.ctimeNs, atMs }
    : undefined;
}

/** How claimSocketPath tells a socket's state. */
export interface ClaimOptions {
  /** A first probe taken ahead (lookForStale); it counts for the same file only. */
  earlier?: StaleLook | undefined;
  /** How a socket's state is told (a test gives its own). */
  probePath?: (path: string) => Promise<Probe>;
}

/**
 * Clears the way for a socket file: a stale socket (left behind by a crash: connecting is
 * refused, twice, STALE_RECHECK_MS apart) is removed; a live or busy one (another host is serving
 * it), a non-socket file, or a socket whose state cannot be told stops start-up. The file removed
 * is the one probed: when another host replaced it in the meantime, the new one is probed in turn.
 */
export async function claimSocketPath(path: string, how: ClaimOptions = {}): Promise<'free' | 'replaced-stale'> {
  const { probePath = probe, earlier } = how;
  for (let attempt = 0; attempt < 3; attempt++) {
    let before;
    try {
      before = await lstat(path, { bigint: true });
    } catch {
      return 'free';
    }
    if (!before.isSocket()) {
      throw new SocketSetupError(
        'KUDF_SOCKET_NOT_A_SOCKET',
        `${path} exists and is not a socket; refusing to replace it`,
      );
    }
    const seen = attempt === 0 && earlier !== undefined && sameFile(earlier, before);
    let state = seen ? 'stale' : await probePath(path);
    if (state === 'stale') {
      // A file removed or replaced meanwhile is caught by the check before unlink below.
      const since = seen ? Date.now() - earlier.atMs : 0;
      await new Promise((r) => setTimeout(r, Math.max(0, STALE_RECHECK_MS - since)));
      state = await probePath(path);
    }
    if (state === 'alive') {
      throw new SocketSetupError(
        'KUDF_SOCKET_IN_USE',
        `${path} is in use: another process answers on it (is another kudf serve running?)`,
      );
    }
    if (state !== 'stale') {
      throw new SocketSetupError(
        'KUDF_SOCKET_UNKNOWN_STATE',
        `${path}: cannot tell whether anyone serves it (connect: ${state.unknown}); refusing to replace it`,
      );
    }
    const now = await lstat(path, { bigint: true }).catch(() => undefined);
    if (now === undefined) return 'free';
    if (!sameFile(now, before)) continue;
    try {
      await unlink(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'free';
      throw new SocketSetupError(
        'KUDF_SOCKET_DIR_FAILED',
        `cannot remove stale socket ${path}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return 'replaced-stale';
  }
  throw new SocketSetupError(
    'KUDF_SOCKET_START_RACE',
    `${path} keeps being replaced by another process during start-up; is another kudf serve starting?`,
  );
}

/** Listens on a Unix socket path with the configured permissions. */
export async function listenUnix(
  path: string,
  access: SocketAccess,
  onConnection: (socket: Socket) => void,
): Promise<Server> {
  // A readable high-water mark of 0 keeps a paused connection from reading ahead (read-gate.ts);
  // the writable one is 0 too, which only makes every write() return false: Connection bounds
  // its replies by writableLength and write callbacks, not by that return value.
  const server = createServer({ allowHalfOpen: true, highWaterMark: 0 }, onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new SocketSetupError(
            'KUDF_SOCKET_START_RACE',
            `${path} was created by another process during start-up (is another kudf serve starting?)`,
            { cause: err },
          ),
        );
      } else {
        reject(
          new SocketSetupError('KUDF_SOCKET_LISTEN_FAILED', `cannot listen on ${path}: ${err.message}`, { cause: err }),
        );
      }
    });
    server.listen({ path, backlog: 1024 }, () => resolve());
  });
  try {
    await chmod(path, access.mode);
    if (access.gid !== undefined) await chown(path, -1, access.gid);
  } catch (err) {
    server.close();
    // Between bind and listen the file refuses connections, so a host starting beside us may
    // have taken it for stale and removed it: that host serves, and this one lost the race.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new SocketSetupError(
        'KUDF_SOCKET_START_RACE',
        `${path} was removed by another process during start-up (is another kudf serve starting?)`,
        { cause: err },
      );
    throw err;
  }
  return server;
}
