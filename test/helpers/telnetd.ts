import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FakeCliConfig } from './fake-router-cli.js';

/** Debian's inetutils-telnetd (the package is in .ci/run's install list). */
export const TELNETD = '/usr/sbin/telnetd';

export interface TelnetdHandle {
  port: number;
  /** TCP connections accepted (one telnetd process each). */
  readonly connections: number;
  /** Events the fake router CLI logged, in order. */
  events(): Array<{ pid: number; event: string; command?: string; user?: string }>;
  logins(): number;
  commands(): string[];
  /** Kills every telnetd and its fake router, as a router that reboots or drops idle sessions. */
  dropAll(): void;
  stop(): Promise<void>;
}

/**
 * A real telnet server on 127.0.0.1: a TCP listener plays inetd and hands each connection to
 * its own `telnetd -E <fake router CLI>` process, so the telnet protocol, the pty and CR/LF
 * handling are Debian's, and the login dialogue and CLI are the suite's fake router.
 */
export async function startTelnetd(cli: Omit<FakeCliConfig, 'log'>): Promise<TelnetdHandle> {
  if (!existsSync(TELNETD)) throw new Error(`${TELNETD} is missing: install Debian's inetutils-telnetd (see .ci/run)`);
  const dir = mkdtempSync(join(tmpdir(), 'kudf-telnetd-'));
  const log = join(dir, 'events.log');
  writeFileSync(log, '');
  const configPath = join(dir, 'cli.json');
  writeFileSync(configPath, JSON.stringify({ ...cli, log } satisfies FakeCliConfig));
  const cliScript = fileURLToPath(new URL('./fake-router-cli.js', import.meta.url));
  const login = `${process.execPath} ${cliScript} ${configPath}`;
  // telnetd splits -E on whitespace and has no quoting.
  if (/\s/.test(process.execPath) || /\s/.test(cliScript) || /\s/.test(configPath))
    throw new Error(`telnetd -E cannot run a path with spaces: ${login}`);

  const children = new Set<ChildProcess>();
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    // -h: no host information before login.
    const child = spawn(TELNETD, ['-h', '-E', login], { stdio: [socket, socket, 'ignore'] });
    children.add(child);
    child.on('exit', () => children.delete(child));
    // telnetd has its own copy of the descriptor; ours would only keep the connection open.
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const events = (): ReturnType<TelnetdHandle['events']> =>
    readFileSync(log, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as ReturnType<TelnetdHandle['events']>[number]);
  const killAll = (): void => {
    for (const c of children) c.kill('SIGKILL');
  };
  return {
    port,
    get connections() {
      return connections;
    },
    events,
    logins: () => events().filter((e) => e.event === 'login').length,
    commands: () => events().flatMap((e) => (e.event === 'command' && e.command !== undefined ? [e.command] : [])),
    dropAll: killAll,
    stop: async () => {
      killAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
