import type { Command } from 'commander';
import { createLogger, LOG_LEVELS, type LogFormat, type LogLevel, type Logger } from '../log/logger.js';
import { LOG_FORMAT_HELP, logFormatArg } from './arg-parsers.js';
import { ConfigError, influxFlagsFromConfig, loadPollConfig, PollService, statusParser, type PollConfig } from '../ingest/index.js';
import { addInfluxOptions, resolveInfluxSettings, type InfluxFlags } from '../ingest/influx-settings.js';
import { createWriter, type PointWriter } from '../ingest/writer/index.js';

interface PollOptions {
  config: string;
  once?: boolean;
  logLevel?: string;
  logFormat?: LogFormat;
  envFile?: string;
  [flag: string]: unknown;
}

const OWN_OPTIONS = new Set(['config', 'once', 'logLevel', 'logFormat', 'envFile']);

/** `kudf poll`: polls DSL routers over SSH and writes their line state to InfluxDB (or stdout). */
export function registerPoll(program: Command): void {
  const cmd = program
    .command('poll')
    .description('poll DSL routers over SSH and write adsl_connection/adsl_line/adsl_poll points (line protocol on stdout without a database)')
    .requiredOption('--config <file>', 'poll config (YAML or JSON): routers, defaults, concurrency, influx, queueDir')
    .option('--once', 'poll every router once, then exit (status 1 when any poll failed)')
    .option('--log-level <level>', `log level: ${LOG_LEVELS.join(', ')} (logs go to stderr)`, 'info')
    .option('--log-format <format>', LOG_FORMAT_HELP, logFormatArg);
  addInfluxOptions(cmd);
  cmd.action(async (opts: PollOptions) => {
    process.exitCode = await runPoll(opts);
  });
}

async function runPoll(opts: PollOptions): Promise<number> {
  const level = (LOG_LEVELS as readonly string[]).includes(opts.logLevel ?? 'info') ? (opts.logLevel as LogLevel) : 'info';
  // stdout may carry line protocol, so logs always go to stderr.
  const logger = createLogger({ fd: 2, level, name: 'kudf-poll', ...(opts.logFormat !== undefined ? { format: opts.logFormat } : {}) });
  let config: PollConfig;
  let writer: PointWriter;
  try {
    config = loadPollConfig(opts.config);
    const cliFlags = Object.fromEntries(Object.entries(opts).filter(([k, v]) => !OWN_OPTIONS.has(k) && v !== undefined));
    const flags = { ...influxFlagsFromConfig(config), ...cliFlags } as InfluxFlags;
    const settings = resolveInfluxSettings(flags, process.env, opts.envFile);
    writer = createWriter(settings, { logger });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    process.stderr.write(`kudf poll: ${err instanceof Error ? err.message : String(err)}\n`);
    return err instanceof ConfigError || (typeof code === 'string' && code.startsWith('INFLUX_')) ? 2 : 1;
  }

  const service = new PollService({ config, parse: statusParser, sink: (points) => writer.write(points), logger });
  if (opts.once === true) {
    await service.runOnce();
    await shutdown(service, writer, logger);
    return service.pollers.every((p) => p.stats.failures === 0) ? 0 : 1;
  }
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'stopping');
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      shutdown(service, writer, logger).then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    service.start();
  });
}

async function shutdown(service: PollService, writer: PointWriter, logger: Logger): Promise<void> {
  await service.stop();
  await writer.close();
  const polls = service.pollers.reduce((n, p) => n + p.stats.polls, 0);
  const failures = service.pollers.reduce((n, p) => n + p.stats.failures, 0);
  logger.info({ polls, failures, writer: writer.stats }, 'poller stopped');
}
