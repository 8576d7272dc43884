/**
 * The DSL router poller: config, SSH, telnet and TR-064 sessions, schedule, points. The parsers and the writer
 * have their own surfaces (`./parsers/index.js`, `./writer/index.js`).
 */
import { isParserFamily, parseStatus } from './parsers/index.js';
import type { StatusParser } from './poller/index.js';

export * from './config/index.js';
export {
  PollService,
  PollScheduler,
  RouterPoller,
  nextDelayMs,
  type CommandRunner,
  type ParseOutcome,
  type PointSink,
  type PollResult,
  type PollServiceOptions,
  type RouterStats,
  type ScheduledJob,
  type StatusParser,
  statusToPoints,
  pollPoint,
  isIntegerMetric,
  type PointContext,
} from './poller/index.js';
export { SshSession, sha256Fingerprint } from './ssh/index.js';
export { TelnetSession } from './telnet/index.js';
export { Tr064Session } from './tr064/index.js';
export {
  TransportError,
  type PollErrorClass,
  type TransportErrorCode,
  type SshErrorCode,
  type TelnetErrorCode,
  type Tr064ErrorCode,
} from './transport/index.js';
export { systemClock, type Clock } from './timing/index.js';

/** The parsers as the poller calls them; config validation has already checked the family name. */
export const statusParser: StatusParser = (family, text) =>
  parseStatus(family === 'auto' || !isParserFamily(family) ? 'auto' : family, text);
