import { createServer, type AddressInfo, type Socket } from 'node:net';

export interface SilentRouter {
  port: number;
  /** TCP connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

/** A "router" that accepts TCP connections and never says a word: no SSH banner, nothing. */
export async function startSilentRouter(): Promise<SilentRouter> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((sock) => {
    accepted += 1;
    sockets.add(sock);
    sock.on('error', () => undefined);
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get accepted() {
      return accepted;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
