import type { PollConfig } from './types.js';

const UNPREFIXED = new Set(['queueMaxBytes', 'deadLetterMaxBytes', 'retryMinDelay', 'retryMaxDelay', 'retryAfterMax']);

/**
 * The config's `influx` section and `queueDir` as the writer resolver's flags
 * (`batchSize` -> `influxBatchSize`), so the file and the command line share one resolver.
 * Command-line flags given explicitly are laid over these by the caller.
 */
export function influxFlagsFromConfig(config: Pick<PollConfig, 'influx' | 'queueDir'>): Record<string, unknown> {
  const flags: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config.influx ?? {})) {
    flags[UNPREFIXED.has(k) ? k : `influx${k.charAt(0).toUpperCase()}${k.slice(1)}`] = v;
  }
  if (config.queueDir !== undefined) flags.queueDir = config.queueDir;
  return flags;
}
