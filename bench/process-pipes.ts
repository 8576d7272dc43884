/**
 * Process mode as Kapacitor runs it: the function is a child process, and the two talk over the
 * child's stdin and stdout. Kapacitor starts it with Go's os/exec, whose pipes are pipe(2)
 * pipes, where Node's child_process would give the child socketpairs. The transport matters for
 * what is measured: the kernel merges small writes into a pipe's pages but keeps every write to
 * a Unix socket as a buffer of its own (bench/socket-floor). Node has no pipe(2), so the
 * generator opens two named pipes and unlinks them once both ends are open.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync, unlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PipedChild {
  child: ChildProcess;
  /** The write end of the child's stdin. */
  toChild: Socket;
  /** The read end of the child's stdout; its reads land in `readBuffer`, as a socket's `onread` does. */
  fromChild: Socket;
}

export interface PipedChildOptions {
  command: string;
  args: readonly string[];
  cwd?: string;
  readBuffer: Buffer;
  onRead: (n: number, buf: Buffer) => void;
}

/**
 * Both ends of a new named pipe, without blocking: a read-write open first stands in for the
 * other side, so neither of the real opens waits for a peer.
 */
function openFifo(path: string): { read: number; write: number } {
  const made = spawnSync('mkfifo', ['-m', '600', path], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`mkfifo ${path}: ${made.stderr || made.error?.message || 'failed'}`);
  const standIn = openSync(path, constants.O_RDWR);
  try {
    const read = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const write = openSync(path, constants.O_WRONLY);
    return { read, write };
  } finally {
    closeSync(standIn);
    unlinkSync(path);
  }
}

/** Starts `command args` with a pipe for its stdin and one for its stdout. */
export async function spawnOverPipes(options: PipedChildOptions): Promise<PipedChild> {
  const dir = await mkdtemp(join(tmpdir(), 'kudf-pipes-'));
  const open = new Set<number>();
  const close = (fd: number): void => {
    open.delete(fd);
    closeSync(fd);
  };
  try {
    const stdin = openFifo(join(dir, 'stdin'));
    open.add(stdin.read).add(stdin.write);
    const stdout = openFifo(join(dir, 'stdout'));
    open.add(stdout.read).add(stdout.write);
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      stdio: [stdin.read, stdout.write, 'ignore'],
    });
    // The child's ends are the child's alone: its stdin sees EOF when ours closes, and our read
    // end sees EOF when the child exits.
    close(stdin.read);
    close(stdout.write);
    const toChild = new Socket({ fd: stdin.write, readable: false, writable: true });
    // The constructor takes `onread` as connect() does (connect hands it its options); the
    // type declarations list it on connect() only.
    const readSide: SocketConstructorOpts & { onread: OnReadOpts } = {
      fd: stdout.read,
      readable: true,
      writable: false,
      onread: {
        buffer: options.readBuffer,
        callback: (n: number, buf: Uint8Array) => {
          options.onRead(n, buf as Buffer);
          return true;
        },
      },
    };
    const fromChild = new Socket(readSide);
    open.clear();
    return { child, toChild, fromChild };
  } catch (err) {
    for (const fd of open) close(fd);
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
