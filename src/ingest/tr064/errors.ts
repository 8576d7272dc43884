import type { PollErrorClass } from '../ssh/errors.js';

export type Tr064ErrorCode =
  | 'KUDF_TR064_CONNECT'
  | 'KUDF_TR064_CLOSED'
  | 'KUDF_TR064_AUTH'
  | 'KUDF_TR064_TLS'
  | 'KUDF_TR064_TIMEOUT'
  | 'KUDF_TR064_FAULT';

// The classes an SSH poll reports; a certificate that is not trusted counts as `hostkey`, the
// class for a device whose identity could not be proven.
const CLASS_OF: Record<Tr064ErrorCode, PollErrorClass> = {
  KUDF_TR064_CONNECT: 'connect',
  KUDF_TR064_CLOSED: 'connect',
  KUDF_TR064_AUTH: 'auth',
  KUDF_TR064_TLS: 'hostkey',
  KUDF_TR064_TIMEOUT: 'timeout',
  KUDF_TR064_FAULT: 'command',
};

/** A TR-064 device could not be asked for its DSL status. Recoverable, like SshError. */
export class Tr064Error extends Error {
  override readonly name = 'Tr064Error';
  readonly code: Tr064ErrorCode;
  readonly router: string;

  constructor(code: Tr064ErrorCode, router: string, message: string, options: { cause?: unknown } = {}) {
    super(`router ${router}: ${message}`, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.code = code;
    this.router = router;
  }

  get errorClass(): PollErrorClass {
    return CLASS_OF[this.code];
  }
}
