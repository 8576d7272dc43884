/** What the router transports (SSH, telnet, TR-064, HTTP) share: their error type and the kept-session run loop. */
export {
  TransportError,
  type TransportErrorCode,
  type SshErrorCode,
  type TelnetErrorCode,
  type Tr064ErrorCode,
  type HttpErrorCode,
  type PollErrorClass,
} from './errors.js';
export { KeptSession, type KeptSessionSettings } from './kept-session.js';
