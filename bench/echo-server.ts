/**
 * The load generator's ceiling: a Unix socket server that sends every byte back as it came,
 * without decoding a frame. Requests and responses use the same oneof numbers for points and
 * keepalives, so the generator counts echoed points and measures keepalive round trips exactly
 * as against the host. Usage: node dist/bench/echo-server.js <socket-path>, or with --stdio
 * the same over stdin and stdout (process mode).
 */
import { unlinkSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';

const path = process.argv[2];
if (path === undefined) {
  process.stderr.write('usage: echo-server <socket-path> | --stdio\n');
  process.exit(2);
}

if (path === '--stdio') {
  const input = process.stdin;
  const output = process.stdout;
  input.on('data', (chunk: Buffer) => {
    if (!output.write(chunk)) input.pause();
  });
  output.on('drain', () => input.resume());
  input.on('end', () => output.end(() => process.exit(0)));
} else {
  serveSocket(path);
}

function serveSocket(path: string): void {
  const serve = (socket: Socket): void => {
    socket.on('data', (chunk: Buffer) => {
      // Back-pressure as the host does it: stop reading while the peer is not taking replies.
      if (!socket.write(chunk)) socket.pause();
    });
    socket.on('drain', () => socket.resume());
    socket.on('end', () => socket.end());
    socket.on('error', () => socket.destroy());
  };

  const server = createServer({ allowHalfOpen: true }, serve);
  server.listen(path, () => process.stdout.write('echo ready\n'));
  const quit = (): void => {
    server.close();
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
    process.exit(0);
  };
  process.on('SIGTERM', quit);
  process.on('SIGINT', quit);
}
