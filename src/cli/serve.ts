import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import type { Logger } from 'pino';
import {
  DEFAULT_COALESCE_HOLD_MICROS,
  DEFAULT_COALESCE_HOLD_MAX_MICROS,
  DEFAULT_BLOCK_TIMEOUT_MS,
  DEFAULT_COALESCE_READS_BELOW,
  DEFAULT_REPLAY_BYTES,
  DEFAULT_MAX_OPEN_BATCH_BYTES,
  MAX_OPEN_BATCH_BYTES,
  DEFAULT_LOAD_TIMEOUT_MS,
  UdfHost,
  combineObservers,
  loadRegistry,
  runStdioSession,
  sessionStdin,
  udfModuleUrls,
} from '../host/index.js';
import { createLogger, defaultLogFormat, type LogFormat, type LogLevel } from '../log/index.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../protocol/index.js';
import type { UdfDefinition } from '../sdk/index.js';
import type { HostMetrics } from '../metrics/index.js';
import type { HttpAddress } from '../metrics/internal.js';
import type { TaskRecovery } from '../recovery/index.js';
import { CliError, exitCodeOf } from './cli-errors.js';
import {
  defaultSocketDir,
  durationOption,
  groupArg,
  httpAddressArg,
  intArg,
  logFormatOption,
  logLevelOption,
  modeOption,
  sizeOption,
} from './arg-parsers.js';

interface ServeFlags {
  socketDir: string;
  functions?: string;
  threads: number;
  socketMode: number;
  dirMode: number;
  socketGroup?: number;
  udfDir?: string;
  maxFrameBytes: number;
  maxInflight: number;
  coalesceReads: number;
  coalesceHold: number;
  coalesceHoldMax: number;
  grace: number;
  stallTimeout: number;
  blockTimeout: number;
  replayBytes: number;
  loadTimeout: number;
  maxConnections: number;
  initTimeout: number;
  maxBatchPoints: number;
  maxBatchBytes: number;
  maxOpenBatchBytes: number;
  maxPartialBytes: number;
  frameTimeout: number;
  workerHeapMb: number;
  logLevel: LogLevel;
  logFormat?: LogFormat;
  stdio?: string;
  http?: HttpAddress;
  kapacitorUrl?: string;
  stateDir?: string;
}

/**
 * Task recovery from --kapacitor-url and --state-dir, or undefined without them; throws on a bad
 * setting. Its code (and the metrics', below) is imported only when asked for: a host runs for
 * months, and what it never uses should not sit in its memory.
 */
async function taskRecovery(
  flags: ServeFlags,
  logger: ReturnType<typeof createLogger>,
  host: () => UdfHost,
  metrics: HostMetrics | undefined,
): Promise<TaskRecovery | undefined> {
  if (flags.kapacitorUrl === undefined) {
    if (flags.stateDir !== undefined)
      logger.warn({}, '--state-dir without --kapacitor-url: tasks are not brought back after a restart');
    return undefined;
  }
  if (flags.stateDir === undefined)
    throw Object.assign(
      new Error('--kapacitor-url needs --state-dir DIR, where the host keeps the IDs of the tasks it serves'),
      { code: 'KUDF_RECOVERY_STATE' },
    );
  const { KapacitorClient, TaskRecovery, TaskStateFile, kapacitorCredentials, parseKapacitorUrl } =
    await import('../recovery/index.js');
  const client = new KapacitorClient(parseKapacitorUrl(flags.kapacitorUrl), kapacitorCredentials(process.env));
  const state = new TaskStateFile(flags.stateDir);
  logger.info(
    { kapacitor: client.description, stateFile: state.path, knownTasks: state.taskIDs.length },
    'task recovery on',
  );
  return new TaskRecovery({
    api: client,
    state,
    logger: logger.child({ part: 'recovery' }),
    liveTasks: () => host().liveTasks(),
    onRecovered: () => metrics?.tasksRecovered.inc(),
    onFailure: () => metrics?.taskRecoveryFailures.inc(),
  });
}

function pick(registry: Map<string, UdfDefinition>, names: string | undefined): Map<string, UdfDefinition> {
  if (names === undefined) return registry;
  const chosen = new Map<string, UdfDefinition>();
  for (const name of names
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '')) {
    const def = registry.get(name);
    if (def === undefined)
      throw Object.assign(new Error(`unknown function '${name}' (known: ${[...registry.keys()].join(', ')})`), {
        code: 'KUDF_HOST_UNKNOWN_FUNCTION',
      });
    chosen.set(name, def);
  }
  return chosen;
}

/**
 * A start-up failure as one fatal line with the error's code, and its stack only at debug: what
 * is wrong (a bad function file, a socket in use) must be readable at a glance.
 */
function startFailed(logger: Logger | undefined, level: LogLevel, err: unknown, msg: string): never {
  const e = err as Error & { code?: string; file?: string };
  const debug = level === 'debug' || level === 'trace';
  const code = e.code ?? 'KUDF_HOST_START_FAILED';
  logger?.fatal(
    {
      err: e.message ?? String(err),
      code,
      ...(e.file !== undefined ? { file: e.file } : {}),
      ...(debug ? { stack: e.stack } : {}),
    },
    msg,
  );
  // The CLI's handler adds its stderr line and exits (2 for what the user gave, 1 otherwise).
  throw new CliError(code, `${msg}: ${e.message ?? String(err)}`, exitCodeOf(code), { cause: err });
}

async function serve(flags: ServeFlags): Promise<void> {
  // Process mode: stdout carries the protocol, so every log line goes to stderr.
  const fd = flags.stdio !== undefined ? 2 : 1;
  const logFormat = flags.logFormat ?? defaultLogFormat(fd);
  const logger = createLogger({ level: flags.logLevel, fd, format: logFormat });
  let urls: string[];
  let served: Map<string, UdfDefinition>;
  try {
    urls = await udfModuleUrls(flags.udfDir);
    served = pick(await loadRegistry(urls, flags.loadTimeout), flags.stdio ?? flags.functions);
  } catch (err) {
    // In process mode the log is stderr, where the CLI's handler writes its line: once is enough.
    startFailed(flags.stdio !== undefined ? undefined : logger, flags.logLevel, err, 'cannot load the functions');
  }

  if (flags.stdio !== undefined) {
    // Kapacitor starts one process per task: a new task runs the code as it is then. A SIGHUP
    // sent to every kudf process must not end this one's task.
    process.on('SIGHUP', () =>
      logger.info({}, 'SIGHUP ignored in process mode: each task runs the code it started with'),
    );
    const def = served.get(flags.stdio) as UdfDefinition;
    const reason = await runStdioSession({
      def,
      input: sessionStdin(),
      output: process.stdout,
      logger,
      maxFrameBytes: flags.maxFrameBytes,
      maxBatchPoints: flags.maxBatchPoints,
      maxBatchBytes: flags.maxBatchBytes,
      coalesceReadsBelow: flags.coalesceReads,
      coalesceHoldMicros: flags.coalesceHold,
    });
    process.exitCode = reason === 'eof' ? 0 : 1;
    return;
  }

  // eslint-disable-next-line prefer-const -- the observers are made before the host they read from
  let host: UdfHost;
  const ops = flags.http !== undefined ? await import('../metrics/index.js') : undefined;
  const metrics = ops !== undefined ? new ops.HostMetrics([...served.keys()], () => host.status()) : undefined;
  let recovery: TaskRecovery | undefined;
  try {
    recovery = await taskRecovery(flags, logger, () => host, metrics);
  } catch (err) {
    startFailed(logger, flags.logLevel, err, 'cannot start the host');
  }
  host = new UdfHost({
    socketDir: flags.socketDir,
    registry: served,
    observer: combineObservers([metrics, recovery]),
    udfModules: urls,
    threads: flags.threads,
    access: {
      mode: flags.socketMode,
      dirMode: flags.dirMode,
      ...(flags.socketGroup !== undefined ? { gid: flags.socketGroup } : {}),
    },
    maxFrameBytes: flags.maxFrameBytes,
    highWaterMark: flags.maxInflight,
    coalesceReadsBelow: flags.coalesceReads,
    coalesceHoldMicros: flags.coalesceHold,
    coalesceHoldMaxMicros: flags.coalesceHoldMax,
    heartbeatMs: 1000,
    stallTimeoutMs: flags.stallTimeout,
    blockTimeoutMs: flags.blockTimeout,
    replayBytes: flags.replayBytes,
    logger,
    logLevel: flags.logLevel,
    maxConnections: flags.maxConnections,
    initTimeoutMs: flags.initTimeout,
    maxBatchPoints: flags.maxBatchPoints,
    maxBatchBytes: flags.maxBatchBytes,
    maxOpenBatchBytes: flags.maxOpenBatchBytes,
    maxPartialBytes: flags.maxPartialBytes,
    frameTimeoutMs: flags.frameTimeout,
    workerHeapMb: flags.workerHeapMb,
    loadTimeoutMs: flags.loadTimeout,
    logFormat,
  });
  let signalled = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signalled > 1) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    logger.info({ signal }, 'signal received');
    recovery?.stop();
    void host.stop(flags.grace).then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // SIGHUP (what `kudf reload` sends): re-read --udf-dir and move sessions to changed code.
  const selected = flags.functions
    ?.split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  process.on('SIGHUP', () => {
    logger.info({ signal: 'SIGHUP' }, 'reloading the functions');
    void host.reload(() => udfModuleUrls(flags.udfDir), selected);
  });
  try {
    if (ops !== undefined && metrics !== undefined && flags.http !== undefined) {
      const server = await ops.OpsServer.start(flags.http, {
        registry: metrics.registry,
        status: () => host.status(),
        ready: () => host.status().ready,
      });
      logger.info(
        { url: server.url, endpoints: ['/metrics', '/healthz', '/readyz', '/status'] },
        'operations endpoints listening',
      );
    }
    await host.start();
  } catch (err) {
    startFailed(logger, flags.logLevel, err, 'cannot start the host');
  }
  // Kapacitor connects a task as soon as it is enabled: only now can re-enabled tasks reach us.
  void recovery?.recoverAll();
}

/** `kudf serve`: the UDF host. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve every function on <socket-dir>/<function>.sock, or one function over stdin/stdout with --stdio')
    .option('--socket-dir <dir>', 'directory for the socket files (env KUDF_SOCKET_DIR)', defaultSocketDir())
    .option('--functions <names>', 'comma-separated functions to serve (default: all)')
    .option(
      '--threads <n>',
      'worker threads; 0 runs every session on the main thread',
      intArg(0, 256),
      availableParallelism(),
    )
    .addOption(
      modeOption(
        '--socket-mode <mode>',
        'socket file mode (octal); 666 lets a kapacitor user of another container connect',
        {
          default: 0o666,
          env: 'KUDF_SOCKET_MODE',
        },
      ),
    )
    .addOption(
      modeOption('--dir-mode <mode>', 'socket directory mode (octal) when created', {
        default: 0o755,
        env: 'KUDF_DIR_MODE',
      }),
    )
    .option(
      '--socket-group <group>',
      'group (name or gid) for the sockets, and the directory when created; use with --socket-mode 660',
    )
    .option('--udf-dir <dir>', 'also load functions from the .js/.mjs files in this directory')
    .addOption(
      sizeOption('--max-frame-bytes <size>', 'largest accepted frame body', {
        default: DEFAULT_MAX_FRAME_BYTES,
        min: 1,
        env: 'KUDF_MAX_FRAME_BYTES',
      }),
    )
    // Small by default on purpose: whatever is queued ahead of a request is latency for it.
    .addOption(
      sizeOption(
        '--max-inflight <size>',
        'per connection: bytes read but not yet processed, and replies not yet taken, before reading pauses',
        { default: 64 * 1024, min: 16 * 1024, env: 'KUDF_MAX_INFLIGHT' },
      ),
    )
    .option(
      '--max-connections <n>',
      'connections served at once; one more gets an ErrorResponse and is closed',
      intArg(1),
      1024,
    )
    .addOption(
      durationOption('--init-timeout <duration>', 'close a connection that sends neither Info nor Init for this long', {
        default: 10_000,
        env: 'KUDF_INIT_TIMEOUT',
      }),
    )
    .option(
      '--max-batch-points <n>',
      'most points in one batch (BeginBatch to EndBatch); past it that session ends',
      intArg(1),
      100_000,
    )
    .addOption(
      sizeOption('--max-batch-bytes <size>', 'most bytes of encoded points in one batch; past it that session ends', {
        default: 32 * 1024 * 1024,
        min: 1,
        env: 'KUDF_MAX_BATCH_BYTES',
      }),
    )
    .addOption(
      sizeOption(
        '--max-open-batch-bytes <size>',
        'host-wide: what open batches hold together (encoded points plus 128 bytes each); past it the session adding to it ends',
        { default: DEFAULT_MAX_OPEN_BATCH_BYTES, min: 1, max: MAX_OPEN_BATCH_BYTES, env: 'KUDF_MAX_OPEN_BATCH_BYTES' },
      ),
    )
    .addOption(
      sizeOption(
        '--max-partial-bytes <size>',
        'host-wide: memory of frames over 1 MiB received only in part (3 bytes for each byte received)',
        {
          default: 192 * 1024 * 1024,
          min: 1,
          env: 'KUDF_MAX_PARTIAL_BYTES',
        },
      ),
    )
    .addOption(
      durationOption('--frame-timeout <duration>', 'end a connection whose frame gets no further byte for this long', {
        default: 10_000,
        env: 'KUDF_FRAME_TIMEOUT',
      }),
    )
    .option(
      '--worker-heap-mb <n>',
      "each worker's heap limit in MiB (0: V8's default); past it the worker is replaced",
      intArg(0),
      512,
    )
    .addOption(
      sizeOption(
        '--coalesce-reads <size>',
        'per connection (with --stdio, on stdin): a read smaller than this waits until the worker has taken it before the next read (0: off)',
        { default: DEFAULT_COALESCE_READS_BELOW, env: 'KUDF_COALESCE_READS' },
      ),
    )
    .addOption(
      new Option(
        '--coalesce-hold <micros>',
        'a read held by --coalesce-reads also waits this many microseconds, on one clock thread shared by every connection; with --stdio, the process sleeps this long after such a read (0: off)',
      )
        .argParser(intArg(0, 100_000))
        .default(DEFAULT_COALESCE_HOLD_MICROS)
        .env('KUDF_COALESCE_HOLD'),
    )
    .addOption(
      new Option(
        '--coalesce-hold-max <micros>',
        'the hold lengthens up to this many microseconds while every held read gathers few frames, and shortens back to --coalesce-hold as soon as one gathers many (0: one period)',
      )
        .argParser(intArg(0, 100_000))
        .default(DEFAULT_COALESCE_HOLD_MAX_MICROS)
        .env('KUDF_COALESCE_HOLD_MAX'),
    )
    .addOption(
      durationOption('--grace <duration>', 'how long sessions may finish after SIGTERM/SIGINT', {
        default: 10_000,
        env: 'KUDF_GRACE',
      }),
    )
    .addOption(
      durationOption('--load-timeout <duration>', 'how long one function module may take to load', {
        default: DEFAULT_LOAD_TIMEOUT_MS,
        env: 'KUDF_LOAD_TIMEOUT',
      }),
    )
    .addOption(
      durationOption('--stall-timeout <duration>', 'replace a worker that answers no heartbeat for this long', {
        default: 30_000,
        env: 'KUDF_STALL_TIMEOUT',
      }),
    )
    .addOption(
      durationOption(
        '--block-timeout <duration>',
        "end the session of a function call that makes no progress for this long and replace its worker; the worker's other sessions move to another (0: off)",
        { default: DEFAULT_BLOCK_TIMEOUT_MS, env: 'KUDF_BLOCK_TIMEOUT' },
      ),
    )
    .addOption(
      sizeOption(
        '--replay-bytes <size>',
        'input kept per connection, and largest checkpoint of its state, to move its session off a worker lost to a fault of another session (0: such sessions end too)',
        { default: DEFAULT_REPLAY_BYTES, min: 0, env: 'KUDF_REPLAY_BYTES' },
      ),
    )
    .addOption(logLevelOption('trace, debug, info, warn, error, fatal or silent'))
    .addOption(logFormatOption())
    .option('--stdio <function>', "process mode: serve one function over stdin/stdout (Kapacitor's prog/args)")
    .option(
      '--http <addr>',
      'serve /metrics, /healthz, /readyz and /status on PORT (loopback) or HOST:PORT; off without it',
      httpAddressArg,
    )
    .option(
      '--kapacitor-url <url>',
      "Kapacitor's HTTP API, to re-enable this host's tasks after a restart (credentials: KAPACITOR_USERNAME/KAPACITOR_PASSWORD or their _FILE)",
    )
    .option('--state-dir <dir>', 'where the host keeps the IDs of the tasks it serves (with --kapacitor-url)')
    .action(async (flags: ServeFlags & { socketGroup?: string | number }) => {
      if (typeof flags.socketGroup === 'string') flags.socketGroup = groupArg(flags.socketGroup);
      await serve(flags);
    });
}
