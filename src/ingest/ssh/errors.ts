/** How a poll failed, as written to the `error_class` field of `adsl_poll`. */
export type PollErrorClass = 'none' | 'connect' | 'auth' | 'hostkey' | 'timeout' | 'parse' | 'command' | 'internal';

export type SshErrorCode =
  | 'KUDF_SSH_CONNECT'
  | 'KUDF_SSH_CLOSED'
  | 'KUDF_SSH_AUTH'
  | 'KUDF_SSH_HOSTKEY'
  | 'KUDF_SSH_CONNECT_TIMEOUT'
  | 'KUDF_SSH_COMMAND_TIMEOUT'
  | 'KUDF_SSH_COMMAND'
  | 'KUDF_SSH_OUTPUT_TOO_LARGE';

const CLASS_OF: Record<SshErrorCode, PollErrorClass> = {
  KUDF_SSH_CONNECT: 'connect',
  KUDF_SSH_CLOSED: 'connect',
  KUDF_SSH_AUTH: 'auth',
  KUDF_SSH_HOSTKEY: 'hostkey',
  KUDF_SSH_CONNECT_TIMEOUT: 'timeout',
  KUDF_SSH_COMMAND_TIMEOUT: 'timeout',
  KUDF_SSH_COMMAND: 'command',
  KUDF_SSH_OUTPUT_TOO_LARGE: 'command',
};

/** A router could not be asked for its status. Recoverable: the poller logs, counts and backs off. */
export class SshError extends Error {
  override readonly name = 'SshError';
  readonly code: SshErrorCode;
  readonly router: string;
  /** True when the connection broke before the command was sent, so one retry on a new connection is safe. */
  readonly beforeCommand: boolean;

  constructor(code: SshErrorCode, router: string, message: string, options: { cause?: unknown; beforeCommand?: boolean } = {}) {
    super(`router ${router}: ${message}`, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    this.router = router;
    this.beforeCommand = options.beforeCommand ?? false;
  }

  get errorClass(): PollErrorClass {
    return CLASS_OF[this.code];
  }
}
