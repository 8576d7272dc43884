export { TelnetSession, type TelnetSessionOptions, type TelnetRouter, type TelnetTimers } from './telnet-session.js';
export { TelnetError, type TelnetErrorCode } from './errors.js';
