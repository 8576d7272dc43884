import type { Logger } from '../../log/index.js';
import { TransportError, type TransportErrorCode } from './errors.js';

export interface KeptSessionSettings {
  routerName: string;
  logger: Logger;
  /** Named in log lines: `SSH`, `telnet`. */
  transport: string;
  /** The code of a run() after close(). */
  closedCode: TransportErrorCode;
}

/**
 * One router's connection kept open across polls, one command at a time, as SshSession and
 * TelnetSession keep theirs. A connection that dropped is reopened at the next poll; one that
 * is found dead only when a reused connection was about to carry the command (the device
 * closed it while idle) is reopened at once, once: a single fresh login is not a login storm.
 */
export abstract class KeptSession {
  /** Connections opened so far; tests and the bench read it to prove reuse. */
  connectionsOpened = 0;
  protected closedForGood = false;
  private busy = false;
  protected readonly log: Logger;
  private readonly settings: KeptSessionSettings;

  protected constructor(settings: KeptSessionSettings) {
    this.settings = settings;
    this.log = settings.logger;
  }

  /** True while a connection is open for the next command. */
  abstract get connected(): boolean;

  /** Runs the command on the kept connection and returns its output; throws TransportError. */
  async run(command: string, timeoutMs: number): Promise<string> {
    const { routerName, transport, closedCode } = this.settings;
    if (this.closedForGood) throw new TransportError(closedCode, routerName, 'session closed');
    if (this.busy) throw new Error(`${transport} session ${routerName}: run() called while a command is running`);
    this.busy = true;
    try {
      const reused = this.connected;
      try {
        return await this.runOnce(command, timeoutMs);
      } catch (err) {
        if (reused && err instanceof TransportError && err.beforeCommand && !this.closedForGood) {
          this.log.debug(
            { router: routerName, err: err.message },
            `reused ${transport} connection unusable; reconnecting`,
          );
          this.dropConnection();
          return await this.runOnce(command, timeoutMs);
        }
        throw err;
      }
    } finally {
      this.busy = false;
    }
  }

  /** Closes the connection for good; a command in flight fails with the transport's CLOSED code. */
  close(): void {
    this.closedForGood = true;
    this.dropConnection();
  }

  /** Runs the command once, on the kept connection or a new one. */
  protected abstract runOnce(command: string, timeoutMs: number): Promise<string>;

  /** Forgets the kept connection and tears it down. */
  protected abstract dropConnection(): void;
}
