import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Thrown by a `waitFor` probe when waiting further is pointless (the server being waited for
 * has exited). `waitFor` treats every other error of a probe as "not yet".
 */
export class GaveUp extends Error {}

/** The message a Go or C server logs when another process took its port first. */
function isPortTaken(log: string): boolean {
  return /address already in use/i.test(log);
}

/**
 * Starts a server on a port `freePort` found. A port that was free a moment ago can be taken by
 * another test's server before this one binds it; the server then exits at once, `start`
 * rejects with a `GaveUp` carrying its log, and a fresh port is tried (`attempts` in all).
 * Any other failure is `start`'s to clean up, and is passed on.
 */
export async function startOnFreePort<T>(start: (port: number) => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePort());
    } catch (err) {
      if (attempt < attempts && err instanceof GaveUp && isPortTaken(err.message)) continue;
      throw err;
    }
  }
}

/**
 * Polls `probe` until it resolves true, or throws after `timeoutMs`. A probe that throws
 * `GaveUp` ends the wait at once with that error.
 */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await probe().catch((err: unknown) => {
      if (err instanceof GaveUp) throw err;
      return false;
    });
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
