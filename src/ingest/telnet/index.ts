export { TelnetSession, type TelnetSessionOptions, type TelnetRouter } from './telnet-session.js';
export {
  TelnetDecoder,
  TelnetNegotiator,
  escapeIac,
  negotiationBytes,
  type TelnetEvent,
  type Negotiation,
} from './telnet-codec.js';
