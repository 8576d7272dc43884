import { connect, type Socket } from 'node:net';
import { TelnetSocket } from 'telnet-stream';
import type { Logger } from '../../log/logger.js';
import type { RouterConfig } from '../config/types.js';
import { cleanTerminalText, ShellOutputCollector } from '../ssh/shell-output.js';
import { TelnetError } from './errors.js';

export interface TelnetTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type TelnetRouter = Pick<RouterConfig, 'name' | 'address' | 'port' | 'user' | 'auth' | 'connectTimeoutMs' | 'shell' | 'telnet'>;

export interface TelnetSessionOptions {
  router: TelnetRouter;
  logger: Logger;
  timers?: TelnetTimers;
  /** Largest command output kept; a device that streams forever is cut off there. */
  maxOutputBytes?: number;
}

// Telnet option codes (RFC 857, 858) this client lets the device use; every other option is refused.
const ECHO = 1;
const SUPPRESS_GO_AHEAD = 3;
// A device that holds its output is nudged this many times per wait before the timeout decides.
const MAX_WAKES = 3;

interface Connection {
  socket: Socket;
  telnet: TelnetSocket;
  closed: boolean;
  /** The CLI prompt as printed after login; later commands wait for exactly this text. */
  prompt: string | RegExp;
  /** Receives every chunk of device text while someone waits for it. */
  sink: ((chunk: string) => void) | undefined;
  /** Called once when the connection drops. */
  onClose: (() => void) | undefined;
}

const systemTimers: TelnetTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * One router's telnet session, kept open across polls as SshSession keeps its shell: log in at
 * the first poll (user and password prompts), wait for the CLI prompt, then type each command
 * and collect its output up to the next prompt, answering pagers with a space. A dropped
 * connection is reopened at the next poll (or at once, when it broke before the command went
 * out). The password is written to the socket only: never to a log or an error message.
 */
export class TelnetSession {
  private conn: Connection | undefined;
  private busy = false;
  private closedForGood = false;
  /** Connections opened so far; tests and the bench read it to prove reuse. */
  connectionsOpened = 0;

  private readonly router: TelnetRouter;
  private readonly log: Logger;
  private readonly timers: TelnetTimers;
  private readonly maxOutput: number;

  constructor(opts: TelnetSessionOptions) {
    this.router = opts.router;
    this.log = opts.logger;
    this.timers = opts.timers ?? systemTimers;
    this.maxOutput = opts.maxOutputBytes ?? 1 << 20;
  }

  get connected(): boolean {
    return this.conn !== undefined && !this.conn.closed;
  }

  /** Runs the command and returns its output; throws TelnetError. One call at a time per session. */
  async run(command: string, timeoutMs: number): Promise<string> {
    if (this.closedForGood) throw new TelnetError('KUDF_TELNET_CLOSED', this.router.name, 'session closed');
    if (this.busy) throw new Error(`TelnetSession ${this.router.name}: run() called while a command is running`);
    this.busy = true;
    try {
      const reused = this.connected;
      try {
        return await this.runOnce(command, timeoutMs);
      } catch (err) {
        // A device that closed an idle connection is noticed only now; one fresh login is not a login storm.
        if (reused && err instanceof TelnetError && err.beforeCommand && !this.closedForGood) {
          this.log.debug({ router: this.router.name, err: err.message }, 'reused telnet connection unusable; reconnecting');
          this.dropConnection();
          return await this.runOnce(command, timeoutMs);
        }
        throw err;
      }
    } finally {
      this.busy = false;
    }
  }

  /** Closes the connection for good; a command in flight fails with KUDF_TELNET_CLOSED. */
  close(): void {
    this.closedForGood = true;
    this.dropConnection();
  }

  private async runOnce(command: string, timeoutMs: number): Promise<string> {
    const conn = this.conn !== undefined && !this.conn.closed ? this.conn : await this.login();
    return this.converse(conn, command, timeoutMs);
  }

  private dropConnection(): void {
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
    const telnet = new TelnetSocket(socket);
    const conn: Connection = { socket, telnet, closed: false, prompt: r.shell.prompt, sink: undefined, onClose: undefined };
    telnet.on('do', (option) => telnet.writeWont(option));
    telnet.on('will', (option) => {
      if (option === ECHO || option === SUPPRESS_GO_AHEAD) telnet.writeDo(option);
      else telnet.writeDont(option);
    });
    telnet.on('data', (d: Buffer | string) => conn.sink?.(typeof d === 'string' ? d : d.toString('latin1')));
    telnet.on('close', () => {
      conn.closed = true;
      if (this.conn === conn) this.conn = undefined;
      conn.onClose?.();
    });
    socket.on('error', (err) => this.log.debug({ router: r.name, err: err.message }, 'telnet socket error'));

    try {
      await this.loginDialogue(conn);
      if (this.closedForGood) throw new TelnetError('KUDF_TELNET_CLOSED', r.name, 'session closed while logging in');
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
      let wakes = 0;
      let done = false;
      let wakeTimer: unknown;
      const finish = (err?: TelnetError): void => {
        if (done) return;
        done = true;
        this.timers.clearTimeout(deadline);
        this.timers.clearTimeout(wakeTimer);
        conn.sink = undefined;
        conn.onClose = undefined;
        if (err) reject(err);
        else resolve();
      };
      const deadline = this.timers.setTimeout(() => {
        const waitingFor = stage === 'tcp' ? 'a TCP connection' : stage === 'user' ? 'a login prompt' : stage === 'password' ? 'a password prompt' : 'the CLI prompt';
        finish(new TelnetError('KUDF_TELNET_CONNECT_TIMEOUT', r.name, `no ${waitingFor} within ${r.connectTimeoutMs} ms (${r.address}:${r.port})`));
      }, r.connectTimeoutMs);
      // Some modems print nothing until they get a key press; an Enter after a silence wakes them.
      // At most one Enter is left unanswered: a second one typed ahead would be read as the user
      // name or password by a device that was only slow. Output re-arms it.
      const armWake = (): void => {
        this.timers.clearTimeout(wakeTimer);
        if (wakes >= MAX_WAKES) return;
        wakeTimer = this.timers.setTimeout(() => {
          if (done || conn.closed) return;
          wakes += 1;
          this.log.debug({ router: r.name, stage }, 'no output from the device; sending Enter');
          conn.telnet.write('\r\n');
        }, t.wakeMs);
      };
      const send = (text: string): void => {
        conn.telnet.write(`${text}\r\n`);
        buf = '';
        wakes = 0;
        // The device has input to answer now; an Enter typed ahead would be read as the next field.
        this.timers.clearTimeout(wakeTimer);
      };
      conn.socket.once('connect', () => {
        if (stage === 'tcp') stage = 'user';
        armWake();
      });
      conn.socket.once('error', (err) => {
        if (stage === 'tcp') finish(new TelnetError('KUDF_TELNET_CONNECT', r.name, `cannot connect to ${r.address}:${r.port}: ${err.message}`, { cause: err, beforeCommand: true }));
      });
      conn.onClose = () => {
        // A device that hangs up right after the password has refused it.
        if (passwordSent) finish(new TelnetError('KUDF_TELNET_AUTH', r.name, `login as ${r.user} refused: the device closed the connection after the password`));
        else finish(new TelnetError('KUDF_TELNET_CONNECT', r.name, `connection to ${r.address}:${r.port} closed during login`, { beforeCommand: true }));
      };
      conn.sink = (chunk) => {
        buf += chunk;
        armWake();
        const text = cleanTerminalText(buf);
        const tail = text.slice(text.lastIndexOf('\n') + 1);
        if (passwordSent && t.loginFailed.test(text)) {
          finish(new TelnetError('KUDF_TELNET_AUTH', r.name, `login as ${r.user} failed`));
          return;
        }
        if (t.passwordPrompt.test(tail)) {
          if (passwordSent) {
            finish(new TelnetError('KUDF_TELNET_AUTH', r.name, `login as ${r.user} failed: asked for the password again`));
            return;
          }
          stage = 'prompt';
          passwordSent = true;
          send(r.auth.password ?? '');
          return;
        }
        if (t.loginPrompt.test(tail)) {
          if (passwordSent) {
            finish(new TelnetError('KUDF_TELNET_AUTH', r.name, `login as ${r.user} failed: asked for the user name again`));
            return;
          }
          if (stage !== 'password') {
            stage = 'password';
            send(r.user);
          }
          return;
        }
        const atPrompt = typeof conn.prompt === 'string' ? tail.trimEnd() === conn.prompt.trimEnd() : conn.prompt.test(tail);
        // A device without login (or one that asked only for a password) shows its prompt now.
        if (atPrompt && (passwordSent || stage === 'user')) {
          if (tail.trim() !== '') conn.prompt = tail;
          finish();
        } else if (buf.length > this.maxOutput) {
          finish(new TelnetError('KUDF_TELNET_OUTPUT_TOO_LARGE', r.name, 'login banner too large'));
        }
      };
    });
  }

  /** Types one command and collects its output up to the next prompt. */
  private converse(conn: Connection, command: string, timeoutMs: number, timeoutMessage?: string): Promise<string> {
    const r = this.router;
    return new Promise<string>((resolve, reject) => {
      let done = false;
      let wakes = 0;
      let wakeTimer: unknown;
      const finish = (): boolean => {
        if (done) return false;
        done = true;
        this.timers.clearTimeout(deadline);
        this.timers.clearTimeout(wakeTimer);
        conn.sink = undefined;
        conn.onClose = undefined;
        return true;
      };
      const deadline = this.timers.setTimeout(() => {
        if (!finish()) return;
        // The device is in an unknown state (half-sent output, a stuck CLI): start over next time.
        if (this.conn === conn) this.dropConnection();
        reject(new TelnetError('KUDF_TELNET_COMMAND_TIMEOUT', r.name, timeoutMessage ?? `no prompt after the command within ${timeoutMs} ms`));
      }, timeoutMs);
      const armWake = (): void => {
        this.timers.clearTimeout(wakeTimer);
        if (wakes >= MAX_WAKES) return;
        wakeTimer = this.timers.setTimeout(() => {
          if (done || conn.closed) return;
          wakes += 1;
          conn.telnet.write('\r\n');
        }, r.telnet.wakeMs);
      };
      if (conn.closed) {
        finish();
        reject(new TelnetError('KUDF_TELNET_CLOSED', r.name, 'the router closed the telnet connection', { beforeCommand: true }));
        return;
      }
      const collector = new ShellOutputCollector(conn.prompt, r.shell.pager, this.maxOutput);
      let received = false;
      conn.onClose = () => {
        // A device that had closed an idle session answers nothing at all: the command never ran there.
        if (finish()) reject(new TelnetError('KUDF_TELNET_CLOSED', r.name, 'the router closed the telnet connection during the command', { beforeCommand: !received }));
      };
      conn.sink = (chunk) => {
        // Output has started: no more Enters, a stray prompt would end the next command early.
        received = true;
        this.timers.clearTimeout(wakeTimer);
        const ev = collector.push(chunk);
        if (ev === 'pager') conn.telnet.write(' ');
        else if (ev === 'prompt') {
          if (finish()) resolve(collector.output(command));
        } else if (collector.tooLarge) {
          if (finish()) reject(new TelnetError('KUDF_TELNET_OUTPUT_TOO_LARGE', r.name, `command output exceeds ${this.maxOutput} bytes`));
        }
      };
      // Enter is CR LF on a telnet connection (RFC 854). A device that holds all of its output
      // until it gets more input is sent one Enter after a silence.
      conn.telnet.write(`${command}\r\n`);
      armWake();
    });
  }
}
