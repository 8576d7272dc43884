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

export type TelnetErrorCode =
  | 'KUDF_TELNET_CONNECT'
  | 'KUDF_TELNET_CLOSED'
  | 'KUDF_TELNET_AUTH'
  | 'KUDF_TELNET_CONNECT_TIMEOUT'
  | 'KUDF_TELNET_COMMAND_TIMEOUT'
  | 'KUDF_TELNET_OUTPUT_TOO_LARGE';

export type Tr064ErrorCode =
  | 'KUDF_TR064_CONNECT'
  | 'KUDF_TR064_CLOSED'
  | 'KUDF_TR064_AUTH'
  | 'KUDF_TR064_TLS'
  | 'KUDF_TR064_TIMEOUT'
  | 'KUDF_TR064_FAULT';

export type HttpErrorCode =
  | 'KUDF_HTTP_CONNECT'
  | 'KUDF_HTTP_CLOSED'
  | 'KUDF_HTTP_AUTH'
  | 'KUDF_HTTP_TLS'
  | 'KUDF_HTTP_TIMEOUT'
  | 'KUDF_HTTP_STATUS'
  | 'KUDF_HTTP_TOO_LARGE';

export type TransportErrorCode = SshErrorCode | TelnetErrorCode | Tr064ErrorCode | HttpErrorCode;

// Every transport reports the same classes, so dashboards and alerts need not know which one a
// router uses. A TLS certificate that is not trusted counts as `hostkey`: the device's identity
// could not be proven.
const CLASS_OF: Record<TransportErrorCode, PollErrorClass> = {
  KUDF_SSH_CONNECT: 'connect',
  KUDF_SSH_CLOSED: 'connect',
  KUDF_SSH_AUTH: 'auth',
  KUDF_SSH_HOSTKEY: 'hostkey',
  KUDF_SSH_CONNECT_TIMEOUT: 'timeout',
  KUDF_SSH_COMMAND_TIMEOUT: 'timeout',
  KUDF_SSH_COMMAND: 'command',
  KUDF_SSH_OUTPUT_TOO_LARGE: 'command',
  KUDF_TELNET_CONNECT: 'connect',
  KUDF_TELNET_CLOSED: 'connect',
  KUDF_TELNET_AUTH: 'auth',
  KUDF_TELNET_CONNECT_TIMEOUT: 'timeout',
  KUDF_TELNET_COMMAND_TIMEOUT: 'timeout',
  KUDF_TELNET_OUTPUT_TOO_LARGE: 'command',
  KUDF_TR064_CONNECT: 'connect',
  KUDF_TR064_CLOSED: 'connect',
  KUDF_TR064_AUTH: 'auth',
  KUDF_TR064_TLS: 'hostkey',
  KUDF_TR064_TIMEOUT: 'timeout',
  KUDF_TR064_FAULT: 'command',
  KUDF_HTTP_CONNECT: 'connect',
  KUDF_HTTP_CLOSED: 'connect',
  KUDF_HTTP_AUTH: 'auth',
  KUDF_HTTP_TLS: 'hostkey',
  KUDF_HTTP_TIMEOUT: 'timeout',
  KUDF_HTTP_STATUS: 'command',
  KUDF_HTTP_TOO_LARGE: 'command',
};

/**
 * A router could not be asked for its status (over SSH, telnet, TR-064 or HTTP). Recoverable: the
 * poller logs it, counts it under its `errorClass` and backs off. The message never holds a
 * password.
 */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly code: TransportErrorCode;
  readonly router: string;
  /** True when the connection broke before the command was sent, so one retry on a new connection is safe. */
  readonly beforeCommand: boolean;

  constructor(
    code: TransportErrorCode,
    router: string,
    message: string,
    options: { cause?: unknown; beforeCommand?: boolean } = {},
  ) {
    super(`router ${router}: ${message}`, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    this.router = router;
    this.beforeCommand = options.beforeCommand ?? false;
  }

  get errorClass(): PollErrorClass {
    return CLASS_OF[this.code];
  }
}
