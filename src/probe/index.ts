export { KapacitorClient, ProbeError, type ClientOptions } from './kapacitor-client.js';
export {
  probeInfo,
  probeRun,
  outputAsLines,
  openClient,
  type ProbeRunOptions,
  type ProbeRunResult,
  type ProbeOutput,
  type ProbeTarget,
} from './probe-run.js';
export { groupId, toStreamPoint, toBatches, type Grouping, type KapacitorBatch } from './kapacitor-points.js';
export { parseOptionArg, parseDuration, OptionArgError } from './option-args.js';
