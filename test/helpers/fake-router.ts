import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection, ParsedKey } from 'ssh2';

const { Server, utils } = ssh2;

/** What a fake router answers to a command: text, or a failure with an exit code. */
// 'hang' is listed apart from string on purpose: it is the one text that makes the router never answer.
// eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents
export type FakeAnswer = string | { exitCode: number; stderr?: string; stdout?: string } | 'hang';

export interface FakeRouterOptions {
  /** Accepted password for any user name. */
  password?: string;
  /** Accepted public key (`ssh-ed25519 AAAA...`). */
  publicKey?: string;
  answer: (command: string) => FakeAnswer;
  /** Shell mode: printed once before the first prompt. */
  banner?: string;
  prompt?: string;
  /** Shell mode: lines per page until `terminal length 0`. 0 = no pager at all. */
  pageLines?: number;
  pager?: string;
  /** Refuse a second exec channel on a connection (some routers do). */
  oneExecPerConnection?: boolean;
  /** A host key to use (OpenSSH private key text); one is generated otherwise. */
  hostKey?: string;
  /** Offer only these algorithms, to play an old device. */
  algorithms?: { kex?: string[]; cipher?: string[]; hmac?: string[] };
}

export interface FakeRouter {
  port: number;
  hostFingerprint: string;
  /** `ssh-ed25519 AAAA...` */
  hostPublicKey: string;
  /** Connections accepted (authenticated) so far. */
  readonly logins: number;
  /** Exec requests and shell commands seen, in order. */
  readonly commands: string[];
  /** Spaces received to answer the pager. */
  readonly pagerAnswers: number;
  /** Closes every client connection, as a router does after an idle timeout. */
  dropAll(): void;
  close(): Promise<void>;
}

/** A host key pair for an ssh2 Server, and its SHA256 fingerprint. */
export function makeHostKey(): { privateKey: string; publicKey: string; fingerprint: string } {
  // ssh2's generator drops leading zero bytes of the key (about 1 key in 250 is then 30 or 31 bytes
  // long and its own parser refuses it), so draw again until the pair parses.
  let pair = utils.generateKeyPairSync('ed25519');
  while (utils.parseKey(pair.private) instanceof Error || utils.parseKey(pair.public) instanceof Error) {
    pair = utils.generateKeyPairSync('ed25519');
  }
  const publicKey = pair.public.trim().split(' ').slice(0, 2).join(' ');
  const blob = Buffer.from(publicKey.split(' ')[1] ?? '', 'base64');
  const fingerprint = `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
  return { privateKey: pair.private, publicKey, fingerprint };
}

/**
 * An SSH router simulated with ssh2's Server on 127.0.0.1: exec answers come from `answer`;
 * the shell is a small CLI with banner, prompt, `terminal length 0` and a `--More--` pager that
 * waits for a space.
 */
export async function startFakeRouter(opts: FakeRouterOptions): Promise<FakeRouter> {
  const key = opts.hostKey !== undefined ? undefined : makeHostKey();
  const hostKey = opts.hostKey ?? key?.privateKey ?? '';
  const parsedHost = utils.parseKey(hostKey);
  if (parsedHost instanceof Error) throw parsedHost;
  const hk: ParsedKey | undefined = Array.isArray(parsedHost) ? (parsedHost as ParsedKey[])[0] : parsedHost;
  const hostBlob = hk?.getPublicSSH() ?? Buffer.alloc(0);
  const hostPublicKey = `${hk?.type ?? ''} ${hostBlob.toString('base64')}`;
  const hostFingerprint = `SHA256:${createHash('sha256').update(hostBlob).digest('base64').replace(/=+$/, '')}`;
  const allowedKey = opts.publicKey !== undefined ? utils.parseKey(opts.publicKey) : undefined;
  const allowedParsed: ParsedKey | undefined =
    allowedKey !== undefined && !(allowedKey instanceof Error)
      ? Array.isArray(allowedKey)
        ? (allowedKey as ParsedKey[])[0]
        : allowedKey
      : undefined;
  const allowedBlob = allowedParsed?.getPublicSSH();

  const clients = new Set<Connection>();
  const state = { logins: 0, commands: [] as string[], pagerAnswers: 0 };

  const serverConfig: ConstructorParameters<typeof Server>[0] = { hostKeys: [hostKey] };
  if (opts.algorithms !== undefined)
    serverConfig.algorithms = opts.algorithms as NonNullable<typeof serverConfig.algorithms>;
  const server = new Server(serverConfig, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => clients.delete(client));
    client.on('authentication', (ctx) => {
      if (ctx.method === 'password' && opts.password !== undefined && ctx.password === opts.password)
        return ctx.accept();
      if (ctx.method === 'publickey' && allowedBlob !== undefined && ctx.key.data.equals(allowedBlob))
        return ctx.accept();
      return ctx.reject(['password', 'publickey']);
    });
    client.on('ready', () => {
      state.logins += 1;
      let execs = 0;
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('pty', (accept) => accept?.());
        session.on('env', (accept) => accept?.());
        session.on('exec', (accept, reject, info) => {
          execs += 1;
          if (opts.oneExecPerConnection === true && execs > 1) return reject?.();
          const stream = accept();
          state.commands.push(info.command);
          const a = opts.answer(info.command);
          if (a === 'hang') return undefined;
          if (typeof a === 'string') {
            stream.write(a);
            stream.exit(0);
          } else {
            if (a.stdout !== undefined) stream.write(a.stdout);
            if (a.stderr !== undefined) stream.stderr.write(a.stderr);
            stream.exit(a.exitCode);
          }
          stream.end();
          return undefined;
        });
        session.on('shell', (accept) => {
          const channel = accept();
          runShell(
            {
              write: (text) => channel.write(text),
              onData: (cb) => channel.on('data', cb),
              exit: (code) => {
                channel.exit(code);
                channel.end();
              },
            },
            opts,
            { onCommand: (cmd) => state.commands.push(cmd), onPager: () => (state.pagerAnswers += 1) },
          );
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    hostFingerprint,
    hostPublicKey,
    get logins() {
      return state.logins;
    },
    get commands() {
      return state.commands;
    },
    get pagerAnswers() {
      return state.pagerAnswers;
    },
    dropAll: () => {
      for (const c of clients) c.end();
    },
    close: async () => {
      for (const c of clients) c.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Where the fake CLI reads keys and writes text: an SSH shell channel or a process's terminal. */
export interface ShellIo {
  write(text: string): void;
  onData(cb: (d: Buffer) => void): void;
  exit(code: number): void;
}

export interface ShellHooks {
  onCommand(command: string): void;
  onPager(): void;
}

/** The fake router's CLI: prompt, echo, `terminal length 0`, a `--More--` pager, `exit`. */
export function runShell(stream: ShellIo, opts: FakeRouterOptions, hooks: ShellHooks): void {
  const prompt = opts.prompt ?? 'router> ';
  const pager = opts.pager ?? ' --More-- ';
  let pageLines = opts.pageLines ?? 0;
  let line = '';
  let pending: string[] | undefined;

  const sendPage = (): void => {
    if (pending === undefined) return;
    const page = pageLines > 0 ? pending.splice(0, pageLines) : pending.splice(0);
    stream.write(page.map((l) => `${l}\r\n`).join(''));
    if (pending.length > 0) stream.write(pager);
    else {
      pending = undefined;
      stream.write(prompt);
    }
  };

  if (opts.banner !== undefined) stream.write(opts.banner.replace(/\r?\n/g, '\r\n'));
  stream.write(prompt);
  let lastWasCr = false;
  stream.onData((d: Buffer) => {
    for (const ch of d.toString('utf8')) {
      // Enter comes as CR from an SSH terminal and as CR LF or CR NUL from telnet: one key press.
      const afterCr = lastWasCr;
      lastWasCr = ch === '\r';
      if (afterCr && (ch === '\n' || ch === '\0')) continue;
      if (pending !== undefined) {
        // Like `more`: a space shows the next page and wipes the pager text first.
        if (ch === ' ') {
          hooks.onPager();
          stream.write(`\r${' '.repeat(pager.length)}\r`);
          sendPage();
        }
        continue;
      }
      if (ch === '\r' || ch === '\n') {
        stream.write('\r\n');
        const cmd = line.trim();
        line = '';
        if (cmd === '') {
          stream.write(prompt);
          continue;
        }
        hooks.onCommand(cmd);
        if (cmd === 'exit') {
          stream.exit(0);
          return;
        }
        if (cmd === 'terminal length 0') {
          pageLines = 0;
          stream.write(prompt);
          continue;
        }
        const a = opts.answer(cmd);
        if (a === 'hang') continue;
        const text = typeof a === 'string' ? a : `% ${a.stderr ?? 'error'}\n`;
        pending = text.replace(/\r?\n$/, '').split(/\r?\n/);
        sendPage();
      } else {
        line += ch;
        stream.write(ch);
      }
    }
  });
}
