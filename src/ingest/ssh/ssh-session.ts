import { readFileSync } from 'node:fs';
import { Client, type ClientChannel, type ConnectConfig } from 'ssh2';
import type { Logger } from '../../log/index.js';
import type { RouterConfig } from '../config/index.js';
import { KeptSession, TransportError } from '../transport/index.js';
import { systemClock, type Clock } from '../timing/index.js';
import { verifyHostKey, type HostKeyDecision } from './host-key-verifier.js';
import { ShellOutputCollector } from './shell-output.js';

export type SessionRouter = Pick<
  RouterConfig,
  'name' | 'address' | 'port' | 'user' | 'auth' | 'connectTimeoutMs' | 'legacyAlgorithms' | 'hostKey' | 'mode' | 'shell'
>;

export interface SshSessionOptions {
  router: SessionRouter;
  logger: Logger;
  /** Login and command deadlines; default the real clock. */
  clock?: Clock;
  readFile?: (path: string) => string;
  /** Largest command output kept; a device that streams forever is cut off there. */
  maxOutputBytes?: number;
}

interface Connection {
  client: Client;
  closed: boolean;
  /** Set by whatever is waiting on the connection, so a drop fails it at once. */
  onClose: ((err: TransportError) => void) | undefined;
}

interface ShellState {
  stream: ClientChannel;
  prompt: string | RegExp;
  closed: boolean;
  sink: ((chunk: string) => void) | undefined;
  onClose: (() => void) | undefined;
}

/**
 * One router's SSH connection, kept open across polls: exec mode opens a new channel per poll
 * on it, shell mode keeps one interactive channel and types each command into it. A dropped
 * connection is reopened at the next poll (or at once, when it broke before the command went
 * out).
 */
export class SshSession extends KeptSession {
  private conn: Connection | undefined;
  private shell: ShellState | undefined;

  private readonly router: SessionRouter;
  private readonly clock: Clock;
  private readonly readFile: (path: string) => string;
  private readonly maxOutput: number;

  constructor(opts: SshSessionOptions) {
    super({ routerName: opts.router.name, logger: opts.logger, transport: 'SSH', closedCode: 'KUDF_SSH_CLOSED' });
    this.router = opts.router;
    this.clock = opts.clock ?? systemClock;
    this.readFile = opts.readFile ?? ((p) => readFileSync(p, 'utf8'));
    this.maxOutput = opts.maxOutputBytes ?? 1 << 20;
  }

  get connected(): boolean {
    return this.conn !== undefined && !this.conn.closed;
  }

  protected async runOnce(command: string, timeoutMs: number): Promise<string> {
    const conn = await this.connection();
    if (this.router.mode === 'exec') return this.exec(conn, command, timeoutMs);
    return this.shellCommand(conn, command, timeoutMs);
  }

  protected dropConnection(): void {
    const c = this.conn;
    this.conn = undefined;
    this.shell = undefined;
    if (c !== undefined && !c.closed) {
      c.closed = true;
      c.client.end();
      c.client.destroy();
    }
  }

  private async connection(): Promise<Connection> {
    if (this.conn !== undefined && !this.conn.closed) return this.conn;
    this.conn = undefined;
    this.shell = undefined;
    const conn = await this.connect();
    if (this.closedForGood) {
      conn.client.destroy();
      throw new TransportError('KUDF_SSH_CLOSED', this.router.name, 'session closed while connecting');
    }
    this.conn = conn;
    return conn;
  }

  private connect(): Promise<Connection> {
    const r = this.router;
    const client = new Client();
    this.connectionsOpened += 1;
    return new Promise<Connection>((resolve, reject) => {
      let settled = false;
      let hostKey: HostKeyDecision | undefined;
      const conn: Connection = { client, closed: false, onClose: undefined };
      const fail = (err: TransportError): void => {
        if (settled) return;
        settled = true;
        this.clock.clearTimeout(timer);
        conn.closed = true;
        client.destroy();
        reject(err);
      };
      const timer = this.clock.setTimeout(() => {
        fail(
          new TransportError(
            'KUDF_SSH_CONNECT_TIMEOUT',
            r.name,
            `no SSH session within ${r.connectTimeoutMs} ms (${r.address}:${r.port})`,
          ),
        );
      }, r.connectTimeoutMs);

      client.on('ready', () => {
        if (settled) return;
        settled = true;
        this.clock.clearTimeout(timer);
        this.log.debug({ router: r.name, fingerprint: hostKey?.fingerprint }, 'SSH connection open');
        resolve(conn);
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (!settled) {
          if (hostKey !== undefined && !hostKey.ok)
            fail(new TransportError('KUDF_SSH_HOSTKEY', r.name, hostKey.message, { cause: err }));
          else if (err.level === 'client-authentication') {
            fail(new TransportError('KUDF_SSH_AUTH', r.name, `authentication as ${r.user} failed`, { cause: err }));
          } else
            fail(
              new TransportError(
                'KUDF_SSH_CONNECT',
                r.name,
                `cannot connect to ${r.address}:${r.port}: ${err.message}`,
                { cause: err, beforeCommand: true },
              ),
            );
          return;
        }
        this.log.debug({ router: r.name, err: err.message }, 'SSH connection error');
      });
      client.on('close', () => {
        if (!settled) {
          if (hostKey !== undefined && !hostKey.ok)
            fail(new TransportError('KUDF_SSH_HOSTKEY', r.name, hostKey.message));
          else
            fail(
              new TransportError(
                'KUDF_SSH_CONNECT',
                r.name,
                `connection to ${r.address}:${r.port} closed during login`,
                { beforeCommand: true },
              ),
            );
          return;
        }
        conn.closed = true;
        if (this.conn === conn) {
          this.conn = undefined;
          this.shell = undefined;
        }
        conn.onClose?.(new TransportError('KUDF_SSH_CLOSED', r.name, 'the router closed the SSH connection'));
      });

      const cfg: ConnectConfig = {
        host: r.address,
        port: r.port,
        username: r.user,
        // Our own timer covers the whole login; ssh2's would race it with a different error.
        readyTimeout: 0,
        keepaliveInterval: 0,
        tryKeyboard: r.auth.password !== undefined,
        hostVerifier: (key: Buffer) => {
          hostKey = verifyHostKey(r.hostKey, { router: r.name, address: r.address, port: r.port }, key, this.readFile);
          if (hostKey.ok && hostKey.acceptedAny) {
            this.log.warn(
              { router: r.name, fingerprint: hostKey.fingerprint },
              'host key accepted without verification (hostKey.acceptAny)',
            );
          } else if (!hostKey.ok) this.log.error({ router: r.name, fingerprint: hostKey.fingerprint }, hostKey.message);
          return hostKey.ok;
        },
      };
      if (r.auth.password !== undefined) cfg.password = r.auth.password;
      if (r.auth.privateKey !== undefined) cfg.privateKey = r.auth.privateKey;
      if (r.auth.passphrase !== undefined) cfg.passphrase = r.auth.passphrase;
      if (r.legacyAlgorithms !== undefined) {
        const l = r.legacyAlgorithms;
        cfg.algorithms = {
          kex: { append: [...l.kex] },
          cipher: { append: [...l.cipher] },
          serverHostKey: { append: [...l.serverHostKey] },
          hmac: { append: [...l.hmac] },
        } as unknown as NonNullable<ConnectConfig['algorithms']>;
      }
      if (this.log.isLevelEnabled('trace')) {
        cfg.debug = (msg: string) => this.log.trace({ router: r.name, ssh2: true }, msg);
      }
      // Devices with keyboard-interactive only (many routers) get the password as the answer.
      client.on('keyboard-interactive', (_name, _instr, _lang, prompts, finish) => {
        finish(prompts.map(() => r.auth.password ?? ''));
      });
      try {
        client.connect(cfg);
        // Every SSH message goes out as its own small write, and a poll is a short exchange of
        // them (channel open, exec, EOF, close). With Nagle's algorithm each write after the
        // first waits for the device's delayed ACK: 40 ms a time on Linux, 88 ms a warm poll
        // against a simulated device here, 44 ms without it (bench/README, poller).
        client.setNoDelay(true);
      } catch (err) {
        fail(
          new TransportError('KUDF_SSH_CONNECT', r.name, `invalid SSH settings: ${(err as Error).message}`, {
            cause: err,
          }),
        );
      }
    });
  }

  /** Waits for `work` to settle, failing it on timeout or when the connection drops. */
  private guarded<T>(
    conn: Connection,
    timeoutMs: number,
    onTimeout: () => TransportError,
    work: (settle: { resolve: (v: T) => void; reject: (e: TransportError) => void; sent: () => void }) => void,
  ): Promise<T> {
    let sent = false;
    return new Promise<T>((resolve, reject) => {
      let done = false;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        this.clock.clearTimeout(timer);
        conn.onClose = undefined;
        return true;
      };
      const timer = this.clock.setTimeout(() => {
        if (!finish()) return;
        // The device is in an unknown state (half-sent output, a stuck CLI): start over next time.
        if (this.conn === conn) this.dropConnection();
        reject(onTimeout());
      }, timeoutMs);
      conn.onClose = (err) => {
        if (!finish()) return;
        // Until the device has the command, a new connection may safely try again.
        reject(
          sent
            ? err
            : new TransportError(err.code, err.router, err.message.replace(/^router [^:]*: /, ''), {
                beforeCommand: true,
              }),
        );
      };
      if (conn.closed) {
        conn.onClose(
          new TransportError('KUDF_SSH_CLOSED', this.router.name, 'the router closed the SSH connection', {
            beforeCommand: true,
          }),
        );
        return;
      }
      work({
        resolve: (v) => {
          if (finish()) resolve(v);
        },
        reject: (e) => {
          if (finish()) reject(e);
        },
        sent: () => {
          sent = true;
        },
      });
    });
  }

  private exec(conn: Connection, command: string, timeoutMs: number): Promise<string> {
    const name = this.router.name;
    return this.guarded<string>(
      conn,
      timeoutMs,
      () => new TransportError('KUDF_SSH_COMMAND_TIMEOUT', name, `command did not finish within ${timeoutMs} ms`),
      ({ resolve, reject, sent }) => {
        conn.client.exec(command, (err, stream) => {
          if (err !== undefined && err !== null) {
            // The device refused a new channel (it allows one per connection, or dropped us): retryable.
            reject(
              new TransportError('KUDF_SSH_CLOSED', name, `cannot open an exec channel: ${err.message}`, {
                cause: err,
                beforeCommand: true,
              }),
            );
            return;
          }
          sent();
          const out: Buffer[] = [];
          const errOut: Buffer[] = [];
          let size = 0;
          let exitCode: number | undefined;
          let exitSignal: string | undefined;
          stream.on('data', (d: Buffer) => {
            size += d.length;
            if (size > this.maxOutput) {
              stream.close();
              reject(
                new TransportError('KUDF_SSH_OUTPUT_TOO_LARGE', name, `command output exceeds ${this.maxOutput} bytes`),
              );
              return;
            }
            out.push(d);
          });
          stream.stderr.on('data', (d: Buffer) => {
            if (errOut.length < 16) errOut.push(d);
          });
          stream.on('exit', (code: number | null, signal?: string) => {
            if (typeof code === 'number') exitCode = code;
            else if (typeof signal === 'string') exitSignal = signal;
          });
          stream.on('close', () => {
            const text = Buffer.concat(out).toString('utf8');
            // A command killed mid-output printed only part of its answer: never store half a reading.
            if (exitSignal !== undefined) {
              reject(
                new TransportError(
                  'KUDF_SSH_COMMAND',
                  name,
                  `command was killed by signal ${exitSignal}; its ${size} bytes of output are incomplete and discarded`,
                ),
              );
              return;
            }
            // Exit codes from router CLIs are unreliable; output is what counts, failure is an empty answer.
            if (exitCode !== undefined && exitCode !== 0 && text.trim() === '') {
              const stderr = Buffer.concat(errOut).toString('utf8').trim().slice(0, 200);
              reject(
                new TransportError(
                  'KUDF_SSH_COMMAND',
                  name,
                  `command exited with status ${exitCode}${stderr !== '' ? `: ${stderr}` : ''}`,
                ),
              );
              return;
            }
            resolve(text);
          });
        });
      },
    );
  }

  private async shellCommand(conn: Connection, command: string, timeoutMs: number): Promise<string> {
    const name = this.router.name;
    // Opening the shell (banner, setup commands) and the command each get the full timeout.
    const shell = this.shell !== undefined && !this.shell.closed ? this.shell : await this.openShell(conn, timeoutMs);
    return this.converse(
      conn,
      shell,
      command,
      timeoutMs,
      () => new TransportError('KUDF_SSH_COMMAND_TIMEOUT', name, `no prompt after the command within ${timeoutMs} ms`),
    );
  }

  private openShell(conn: Connection, timeoutMs: number): Promise<ShellState> {
    const name = this.router.name;
    const settings = this.router.shell;
    return this.guarded<ShellState>(
      conn,
      timeoutMs,
      () =>
        new TransportError(
          'KUDF_SSH_COMMAND_TIMEOUT',
          name,
          `no prompt matching ${String(settings.prompt)} within ${timeoutMs} ms after opening the shell`,
        ),
      ({ resolve, reject }) => {
        // A wide, tall terminal keeps lines unwrapped and pagers quieter where the device honours it.
        conn.client.shell({ term: 'vt100', cols: 400, rows: 200 }, (err, stream) => {
          if (err !== undefined && err !== null) {
            reject(
              new TransportError('KUDF_SSH_CLOSED', name, `cannot open a shell channel: ${err.message}`, {
                cause: err,
                beforeCommand: true,
              }),
            );
            return;
          }
          const state: ShellState = {
            stream,
            prompt: settings.prompt,
            closed: false,
            sink: undefined,
            onClose: undefined,
          };
          stream.on('data', (d: Buffer) => state.sink?.(d.toString('utf8')));
          stream.stderr.on('data', (d: Buffer) => state.sink?.(d.toString('utf8')));
          stream.on('close', () => {
            state.closed = true;
            if (this.shell === state) this.shell = undefined;
            state.onClose?.();
          });
          const collector = new ShellOutputCollector(settings.prompt, settings.pager, this.maxOutput);
          state.onClose = () =>
            reject(
              new TransportError('KUDF_SSH_CLOSED', name, 'the shell closed before its first prompt', {
                beforeCommand: true,
              }),
            );
          state.sink = (chunk) => {
            const ev = collector.push(chunk);
            if (ev === 'pager') stream.write(' ');
            else if (ev === 'prompt') {
              state.sink = undefined;
              state.onClose = undefined;
              // Later commands wait for exactly this prompt, which no output line can imitate by accident.
              const printed = collector.promptText();
              if (printed.trim() !== '') state.prompt = printed;
              this.runSetup(conn, state, settings.setup, timeoutMs).then(() => {
                this.shell = state;
                resolve(state);
              }, reject);
            } else if (collector.tooLarge)
              reject(new TransportError('KUDF_SSH_OUTPUT_TOO_LARGE', name, 'banner too large'));
          };
        });
      },
    );
  }

  private async runSetup(
    conn: Connection,
    state: ShellState,
    setup: readonly string[],
    timeoutMs: number,
  ): Promise<void> {
    for (const cmd of setup) {
      await this.converse(
        conn,
        state,
        cmd,
        timeoutMs,
        () =>
          new TransportError('KUDF_SSH_COMMAND_TIMEOUT', this.router.name, `no prompt after setup command "${cmd}"`),
      );
    }
  }

  private converse(
    conn: Connection,
    state: ShellState,
    command: string,
    timeoutMs: number,
    onTimeout: () => TransportError,
  ): Promise<string> {
    const name = this.router.name;
    return this.guarded<string>(conn, timeoutMs, onTimeout, ({ resolve, reject, sent }) => {
      if (state.closed) {
        reject(new TransportError('KUDF_SSH_CLOSED', name, 'the shell channel is closed', { beforeCommand: true }));
        return;
      }
      const collector = new ShellOutputCollector(state.prompt, this.router.shell.pager, this.maxOutput);
      state.onClose = () => reject(new TransportError('KUDF_SSH_CLOSED', name, 'the shell closed during the command'));
      state.sink = (chunk) => {
        const ev = collector.push(chunk);
        if (ev === 'pager') state.stream.write(' ');
        else if (ev === 'prompt') {
          state.sink = undefined;
          state.onClose = undefined;
          resolve(collector.output(command));
        } else if (collector.tooLarge) {
          state.sink = undefined;
          reject(
            new TransportError('KUDF_SSH_OUTPUT_TOO_LARGE', name, `command output exceeds ${this.maxOutput} bytes`),
          );
        }
      };
      // Enter on a terminal sends CR; the device's line discipline turns it into a newline.
      state.stream.write(`${command}\r`);
      sent();
    });
  }
}
