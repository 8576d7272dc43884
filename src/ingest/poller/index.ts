export { PollScheduler, type ScheduledJob, type SchedulerOptions } from './scheduler.js';
export { nextDelayMs, type BackoffSettings } from './backoff.js';
export { Semaphore } from './semaphore.js';
export { systemClock, type Clock } from '../timing/index.js';
export {
  RouterPoller,
  type CommandRunner,
  type ParseOutcome,
  type PointSink,
  type PollResult,
  type RouterPollerOptions,
  type RouterStats,
  type StatusParser,
} from './router-poller.js';
export { PollService, sessionFor, type PollServiceOptions } from './poll-service.js';
export { statusToPoints, pollPoint, isIntegerMetric, type PointContext } from './status-points.js';
