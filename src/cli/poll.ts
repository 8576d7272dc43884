import type { Command } from 'commander';
import { createLogger, LOG_LEVELS, type LogFormat, type LogLevel, type Logger } from '../log/index.js';
import { logFormatOption, logLevelOption } from './arg-parsers.js';
import { loadPollConfig, PollService, statusParser, type PollConfig } from '../ingest/index.js';
import { addInfluxOptions } from './influx-options.js';
import { createWriter, resolveInfluxSettings, type PointWriter } from '../ingest/writer/index.js';
import type { LinePoint } from '../line-protocol/index.js';
import { OpsServer, PollerMetrics, type HttpAddress } from '../metrics/index.js';
import { httpAddressArg } from './arg-parsers.js';

interface PollOptions {
  config: string;
  once?: boolean;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  envFile?: string;
  http?: HttpAddress;
  [flag: string]: unknown;
}

const OWN_OPTIONS = new Set(['config', 'once', 'logLevel', 'logFormat', 'envFile', 'http']);

/** `kudf poll`: polls DSL routers over SSH and writes their line state to InfluxDB (or stdout). */
export function registerPoll(program: Command): void {
  const cmd = program
    .command('poll')
    .description(
      'poll DSL routers over SSH and write adsl_connection/adsl_line/adsl_poll points (line protocol on stdout without a database)',
    )
    .requiredOption('--config <file>', 'poll config (YAML or JSON): routers, defaults, concurrency, influx, queueDir')
    .option('--once', 'poll every router once, then exit (status 1 when any poll failed)')
    .addOption(logLevelOption(`log level: ${LOG_LEVELS.join(', ')} (logs go to stderr)`))
    .addOption(logFormatOption())
    .option(
      '--http <addr>',
      'serve /metrics, /healthz, /readyz and /status on PORT (loopback) or HOST:PORT; off without it',
      httpAddressArg,
    );
  addInfluxOptions(cmd);
  cmd.action(async (opts: PollOptions) => {
    process.exitCode = await runPoll(opts);
  });
}

async function runPoll(opts: PollOptions): Promise<number> {
  const level: LogLevel = opts.logLevel ?? 'info';
  // stdout may carry line protocol, so logs always go to stderr.
  const logger = createLogger({
    fd: 2,
    level,
    name: 'kudf-poll',
    ...(opts.logFormat !== undefined ? { format: opts.logFormat } : {}),
  });
  let config: PollConfig;
  let writer: PointWriter;
  try {
    config = loadPollConfig(opts.config);
    const cliFlags = Object.fromEntries(
      Object.entries(opts).filter(([k, v]) => !OWN_OPTIONS.has(k) && v !== undefined),
    );
    // The file's `influx` section ranks below the flags; its errors name the file and the key.
    const settings = resolveInfluxSettings(cliFlags, process.env, opts.envFile, {
      file: opts.config,
      influx: config.influx,
      queueDir: config.queueDir,
    });
    writer = createWriter(settings, { logger });
  } catch (err) {
    // The CLI's handler prints it with its code: 2 for the config and settings, 1 for the rest.
    throw err;
  }

  const ops: { metrics: PollerMetrics; server: OpsServer } | undefined =
    opts.http === undefined
      ? undefined
      : await startOps(
          opts.http,
          config,
          () => writer,
          (): PollService => service,
          logger,
        );
  const sink =
    ops === undefined
      ? (points: LinePoint[]): void => writer.write(points)
      : (points: LinePoint[]): void => {
          ops.metrics.poll(pollOutcome(points));
          writer.write(points);
        };
  const service: PollService = new PollService({ config, parse: statusParser, sink, logger });
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

/** What a poll's `adsl_poll` point (always its last point) says about it. */
function pollOutcome(points: readonly LinePoint[]): {
  router: string;
  errorClass: string;
  durationMs: number;
  points: number;
} {
  const poll = points.at(-1);
  const f = poll?.fields ?? {};
  return {
    router: poll?.tags['host'] ?? '',
    errorClass: typeof f['error_class'] === 'string' ? f['error_class'] : 'none',
    durationMs: typeof f['duration_ms'] === 'number' ? f['duration_ms'] : 0,
    points: Math.max(0, points.length - 1),
  };
}

/**
 * The queue's oldest line, as the index of the accepted line it is (lines drained = accepted -
 * queued) looked up in the times of the recent writes. Lines queued by an earlier run are older
 * than this process: their age counts from the process start.
 */
class AcceptTimes {
  private readonly marks: Array<{ upTo: number; at: number }> = [];
  private readonly since = Date.now();

  note(accepted: number): void {
    this.marks.push({ upTo: accepted, at: Date.now() });
  }

  oldestAgeSeconds(accepted: number, queued: number): number {
    if (queued <= 0) return 0;
    const first = accepted - queued;
    if (first < 0) return (Date.now() - this.since) / 1000;
    while (this.marks.length > 0 && (this.marks[0] as { upTo: number }).upTo <= first) this.marks.shift();
    const mark = this.marks[0];
    return mark === undefined ? 0 : (Date.now() - mark.at) / 1000;
  }
}

async function startOps(
  at: HttpAddress,
  config: PollConfig,
  writer: () => PointWriter,
  service: () => PollService,
  logger: Logger,
): Promise<{ metrics: PollerMetrics; server: OpsServer }> {
  const times = new AcceptTimes();
  const figures = (): ReturnType<ConstructorParameters<typeof PollerMetrics>[1]> => {
    const s = writer().stats;
    return {
      accepted: s.accepted,
      written: s.written,
      queued: s.queued,
      queuedBytes: s.queuedBytes ?? 0,
      oldestQueuedSeconds: times.oldestAgeSeconds(s.accepted, s.queued),
      dropped: s.dropped,
      deadLettered: s.deadLettered,
      invalid: s.invalid,
      requests: s.requests,
      retries: s.retries,
    };
  };
  const metrics = new PollerMetrics(
    config.routers.map((r) => r.name),
    figures,
  );
  const original = metrics.poll.bind(metrics);
  metrics.poll = (outcome) => {
    original(outcome);
    times.note(writer().stats.accepted + outcome.points + 1);
  };
  const status = (): unknown => {
    const w = figures();
    return {
      routers: service().pollers.map((p) => ({
        name: p.name,
        polls: p.stats.polls,
        failures: p.stats.failures,
        parseFailures: p.stats.parseFailures,
        droppedKeys: p.stats.droppedKeys,
        lastErrorClass: p.stats.lastErrorClass,
      })),
      writer: w,
    };
  };
  const server = await OpsServer.start(at, { registry: metrics.registry, status, ready: () => true });
  logger.info(
    { url: server.url, endpoints: ['/metrics', '/healthz', '/readyz', '/status'] },
    'operations endpoints listening',
  );
  return { metrics, server };
}
