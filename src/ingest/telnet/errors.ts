import type { PollErrorClass } from '../ssh/errors.js';

export type TelnetErrorCode =
  | 'KUDF_TELNET_CONNECT'
  | 'KUDF_TELNET_CLOSED'
  | 'KUDF_TELNET_AUTH'
  | 'KUDF_TELNET_CONNECT_TIMEOUT'
  | 'KUDF_TELNET_COMMAND_TIMEOUT'
  | 'KUDF_TELNET_OUTPUT_TOO_LARGE';

// The same classes an SSH poll reports, so dashboards and alerts need not know the transport.
const CLASS_OF: Record<TelnetErrorCode, PollErrorClass> = {
  KUDF_TELNET_CONNECT: 'connect',
  KUDF_TELNET_CLOSED: 'connect',
  KUDF_TELNET_AUTH: 'auth',
  KUDF_TELNET_CONNECT_TIMEOUT: 'timeout',
  KUDF_TELNET_COMMAND_TIMEOUT: 'timeout',
  KUDF_TELNET_OUTPUT_TOO_LARGE: 'command',
};

/** A router could not be asked for its status over telnet. Recoverable, like SshError. */
export class TelnetError extends Error {
  override readonly name = 'TelnetError';
  readonly code: TelnetErrorCode;
  readonly router: string;
  /** True when the connection broke before the command was sent, so one retry on a new connection is safe. */
  readonly beforeCommand: boolean;

  constructor(code: TelnetErrorCode, router: string, message: string, options: { cause?: unknown; beforeCommand?: boolean } = {}) {
    super(`router ${router}: ${message}`, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    this.router = router;
    this.beforeCommand = options.beforeCommand ?? false;
  }

  get errorClass(): PollErrorClass {
    return CLASS_OF[this.code];
  }
}
