import { connect, type Socket } from 'node:net';
import type { Logger } from '../../log/index.js';
import type { RouterConfig } from '../config/index.js';
import { cleanTerminalText, ShellOutputCollector } from '../ssh/index.js';
import { KeptSession, TransportError } from '../transport/index.js';
import { systemClock, type Clock } from '../timing/index.js';
import { escapeIac, TelnetDecoder, TelnetNegotiator } from './telnet-codec.js';

export type TelnetRouter = Pick<
  RouterConfig,
  'name' | 'address' | 'port' | 'user' | 'auth' | 'connectTimeoutMs' | 'shell' | 'telnet'
>;

export interface TelnetSessionOptions {
  router: TelnetRouter;
  logger: Logger;
  /** Login and command deadlines, and the silence before a wake-up Enter; default the real clock. */
  clock?: Clock;
  /** Largest command output kept; a device that streams forever is cut off there. */
  maxOutputBytes?: number;
}

// A device that holds its output is nudged this many times per wait before the timeout decides.
const MAX_WAKES = 3;

interface Connection {
  socket: Socket;
  closed: boolean;
  /** The CLI prompt as printed after login; later commands wait for exactly this text. */
  prompt: string | RegExp;
  /** Receives every chunk of device text while someone waits for it. */
  sink: ((chunk: string) => void) | undefined;
  /** Called once when the connection drops. */
  onClose: (() => void) | undefined;
}

/** Enters typed after a silence, for devices that print nothing until they get a key press. */
interface Waker {
  /** (Re)starts the silence timer, unless the wait has used up its Enters. */
  arm(): void;
  /** Stops it: the device has input to answer, or output has started. */
  stop(): void;
  /** Allows a fresh set of Enters (after input was typed). */
  reset(): void;
}

/**
 * One router's telnet session, kept open across polls as SshSession keeps its shell: log in at
 * the first poll (user and password prompts), wait for the CLI prompt, then type each command
 * and collect its output up to the next prompt, answering pagers with a space. A dropped
 * connection is reopened at the next poll (or at once, when it broke before the command went
 * out). The password is written to the socket only: never to a log or an error message.
 */
export class TelnetSession extends KeptSession {
  private conn: Connection | undefined;

  private readonly router: TelnetRouter;
  private readonly clock: Clock;
  private readonly maxOutput: number;

  constructor(opts: TelnetSessionOptions) {
    super({ routerName: opts.router.name, logger: opts.logger, transport: 'telnet', closedCode: 'KUDF_TELNET_CLOSED' });
    this.router = opts.router;
    this.clock = opts.clock ?? systemClock;
    this.maxOutput = opts.maxOutputBytes ?? 1 << 20;
  }

  get connected(): boolean {
    return this.conn !== undefined && !this.conn.closed;
  }

  protected async runOnce(command: string, timeoutMs: number): Promise<string> {
    const conn = this.conn !== undefined && !this.conn.closed ? this.conn : await this.login();
    return this.converse(conn, command, timeoutMs);
  }

  protected dropConnection(): void {
    const c = this.conn;
    this.conn = undefined;
    if (c !== undefined && !c.closed) {
      c.closed = true;
      c.socket.destroy();
    }
  }

  /** Opens the TCP connection, answers option negotiation, logs in and runs the setup commands. */
  private async login(): Promise<Connection> {
    const r = this.router;
    this.connectionsOpened += 1;
    const socket = connect({ host: r.address, port: r.port });
    // Each keystroke line is its own small write; Nagle would hold it for the device's delayed ACK.
    socket.setNoDelay(true);
    const conn: Connection = { socket, closed: false, prompt: r.shell.prompt, sink: undefined, onClose: undefined };
    const decoder = new TelnetDecoder();
    const negotiator = new TelnetNegotiator();
    socket.on('data', (chunk: Buffer) => {
      for (const ev of decoder.push(chunk)) {
        // Router CLIs print ASCII; latin1 keeps every other byte as one character, whatever it is.
        if (ev.type === 'data') conn.sink?.(ev.bytes.toString('latin1'));
        else {
          const reply = negotiator.answer(ev.type, ev.option);
          if (reply !== undefined && !conn.closed) socket.write(reply);
        }
      }
    });
    socket.on('close', () => {
      conn.closed = true;
      if (this.conn === conn) this.conn = undefined;
      conn.onClose?.();
    });
    socket.on('error', (err) => this.log.debug({ router: r.name, err: err.message }, 'telnet socket error'));

    try {
      await this.loginDialogue(conn);
      if (this.closedForGood) throw new TransportError('KUDF_TELNET_CLOSED', r.name, 'session closed while logging in');
      for (const cmd of r.shell.setup) {
        await this.converse(conn, cmd, r.connectTimeoutMs, `no prompt after setup command "${cmd}"`);
      }
    } catch (err) {
      conn.closed = true;
      socket.destroy();
      throw err;
    }
    this.conn = conn;
    this.log.debug({ router: r.name }, 'telnet session open');
    return conn;
  }

  private loginDialogue(conn: Connection): Promise<void> {
    const r = this.router;
    const t = r.telnet;
    return new Promise<void>((resolve, reject) => {
      type Stage = 'tcp' | 'user' | 'password' | 'prompt';
      let stage: Stage = 'tcp';
      let passwordSent = false;
      let buf = '';
      let done = false;
      // Some modems print nothing until they get a key press; an Enter after a silence wakes them.
      // At most one Enter is left unanswered: a second one typed ahead would be read as the user
      // name or password by a device that was only slow. Output re-arms it.
      const waker = this.waker(
        conn,
        () => done,
        () => this.log.debug({ router: r.name, stage }, 'no output from the device; sending Enter'),
      );
      const finish = (err?: TransportError): void => {
        if (done) return;
        done = true;
        this.clock.clearTimeout(deadline);
        waker.stop();
        conn.sink = undefined;
        conn.onClose = undefined;
        if (err) reject(err);
        else resolve();
      };
      const deadline = this.clock.setTimeout(() => {
        const waitingFor =
          stage === 'tcp'
            ? 'a TCP connection'
            : stage === 'user'
              ? 'a login prompt'
              : stage === 'password'
                ? 'a password prompt'
                : 'the CLI prompt';
        finish(
          new TransportError(
            'KUDF_TELNET_CONNECT_TIMEOUT',
            r.name,
            `no ${waitingFor} within ${r.connectTimeoutMs} ms (${r.address}:${r.port})`,
          ),
        );
      }, r.connectTimeoutMs);
      const send = (text: string): void => {
        this.type(conn, `${text}\r\n`);
        buf = '';
        // The device has input to answer now; an Enter typed ahead would be read as the next field.
        waker.reset();
      };
      conn.socket.once('connect', () => {
        if (stage === 'tcp') stage = 'user';
        waker.arm();
      });
      conn.socket.once('error', (err) => {
        if (stage === 'tcp')
          finish(
            new TransportError(
              'KUDF_TELNET_CONNECT',
              r.name,
              `cannot connect to ${r.address}:${r.port}: ${err.message}`,
              { cause: err, beforeCommand: true },
            ),
          );
      });
      conn.onClose = () => {
        // A device that hangs up right after the password has refused it.
        if (passwordSent)
          finish(
            new TransportError(
              'KUDF_TELNET_AUTH',
              r.name,
              `login as ${r.user} refused: the device closed the connection after the password`,
            ),
          );
        else
          finish(
            new TransportError(
              'KUDF_TELNET_CONNECT',
              r.name,
              `connection to ${r.address}:${r.port} closed during login`,
              { beforeCommand: true },
            ),
          );
      };
      conn.sink = (chunk) => {
        buf += chunk;
        waker.arm();
        const text = cleanTerminalText(buf);
        const tail = text.slice(text.lastIndexOf('\n') + 1);
        if (passwordSent && t.loginFailed.test(text)) {
          finish(new TransportError('KUDF_TELNET_AUTH', r.name, `login as ${r.user} failed`));
          return;
        }
        if (t.passwordPrompt.test(tail)) {
          if (passwordSent) {
            finish(
              new TransportError('KUDF_TELNET_AUTH', r.name, `login as ${r.user} failed: asked for the password again`),
            );
            return;
          }
          stage = 'prompt';
          passwordSent = true;
          send(r.auth.password ?? '');
          return;
        }
        if (t.loginPrompt.test(tail)) {
          if (passwordSent) {
            finish(
              new TransportError(
                'KUDF_TELNET_AUTH',
                r.name,
                `login as ${r.user} failed: asked for the user name again`,
              ),
            );
            return;
          }
          if (stage !== 'password') {
            stage = 'password';
            send(r.user);
          }
          return;
        }
        const atPrompt =
          typeof conn.prompt === 'string' ? tail.trimEnd() === conn.prompt.trimEnd() : conn.prompt.test(tail);
        // A device without login (or one that asked only for a password) shows its prompt now.
        if (atPrompt && (passwordSent || stage === 'user')) {
          if (tail.trim() !== '') conn.prompt = tail;
          finish();
        } else if (buf.length > this.maxOutput) {
          finish(new TransportError('KUDF_TELNET_OUTPUT_TOO_LARGE', r.name, 'login banner too large'));
        }
      };
    });
  }

  /** Types one command and collects its output up to the next prompt. */
  private converse(conn: Connection, command: string, timeoutMs: number, timeoutMessage?: string): Promise<string> {
    const r = this.router;
    return new Promise<string>((resolve, reject) => {
      let done = false;
      const waker = this.waker(conn, () => done);
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        this.clock.clearTimeout(deadline);
        waker.stop();
        conn.sink = undefined;
        conn.onClose = undefined;
        return true;
      };
      const deadline = this.clock.setTimeout(() => {
        if (!finish()) return;
        // The device is in an unknown state (half-sent output, a stuck CLI): start over next time.
        if (this.conn === conn) this.dropConnection();
        reject(
          new TransportError(
            'KUDF_TELNET_COMMAND_TIMEOUT',
            r.name,
            timeoutMessage ?? `no prompt after the command within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      if (conn.closed) {
        finish();
        reject(
          new TransportError('KUDF_TELNET_CLOSED', r.name, 'the router closed the telnet connection', {
            beforeCommand: true,
          }),
        );
        return;
      }
      const collector = new ShellOutputCollector(conn.prompt, r.shell.pager, this.maxOutput);
      let received = false;
      conn.onClose = () => {
        // A device that had closed an idle session answers nothing at all: the command never ran there.
        if (finish())
          reject(
            new TransportError(
              'KUDF_TELNET_CLOSED',
              r.name,
              'the router closed the telnet connection during the command',
              { beforeCommand: !received },
            ),
          );
      };
      conn.sink = (chunk) => {
        // Output has started: no more Enters, a stray prompt would end the next command early.
        received = true;
        waker.stop();
        const ev = collector.push(chunk);
        if (ev === 'pager') this.type(conn, ' ');
        else if (ev === 'prompt') {
          if (finish()) resolve(collector.output(command));
        } else if (collector.tooLarge) {
          if (finish())
            reject(
              new TransportError(
                'KUDF_TELNET_OUTPUT_TOO_LARGE',
                r.name,
                `command output exceeds ${this.maxOutput} bytes`,
              ),
            );
        }
      };
      // Enter is CR LF on a telnet connection (RFC 854). A device that holds all of its output
      // until it gets more input is sent one Enter after a silence.
      this.type(conn, `${command}\r\n`);
      waker.arm();
    });
  }

  /** Sends text as typed keys: UTF-8, with any byte 255 escaped as telnet data. */
  private type(conn: Connection, text: string): void {
    if (!conn.closed) conn.socket.write(escapeIac(Buffer.from(text, 'utf8')));
  }

  /** The silence timer of one wait; `isDone` tells it the wait is over, `onWake` is told of each Enter. */
  private waker(conn: Connection, isDone: () => boolean, onWake?: () => void): Waker {
    let wakes = 0;
    let timer: unknown;
    const stop = (): void => this.clock.clearTimeout(timer);
    return {
      arm: () => {
        stop();
        if (wakes >= MAX_WAKES) return;
        timer = this.clock.setTimeout(() => {
          if (isDone() || conn.closed) return;
          wakes += 1;
          onWake?.();
          this.type(conn, '\r\n');
        }, this.router.telnet.wakeMs);
      },
      stop,
      reset: () => {
        stop();
        wakes = 0;
      },
    };
  }
}
