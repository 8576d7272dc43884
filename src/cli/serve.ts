import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { UdfHost, loadRegistry, runStdioSession, udfModuleUrls } from '../host/index.js';
import { createLogger, type LogLevel } from '../log/logger.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../protocol/index.js';
import type { UdfDefinition } from '../sdk/define-udf.js';
import { defaultSocketDir, durationMsArg, groupArg, intArg, logLevelArg, modeArg } from './arg-parsers.js';

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
  grace: number;
  stallTimeout: number;
  logLevel: LogLevel;
  stdio?: string;
}

function pick(registry: Map<string, UdfDefinition>, names: string | undefined): Map<string, UdfDefinition> {
  if (names === undefined) return registry;
  const chosen = new Map<string, UdfDefinition>();
  for (const name of names.split(',').map((n) => n.trim()).filter((n) => n !== '')) {
    const def = registry.get(name);
    if (def === undefined) throw new Error(`unknown function '${name}' (known: ${[...registry.keys()].join(', ')})`);
    chosen.set(name, def);
  }
  return chosen;
}

async function serve(flags: ServeFlags): Promise<void> {
  const urls = await udfModuleUrls(flags.udfDir);
  const registry = await loadRegistry(urls);

  if (flags.stdio !== undefined) {
    // Process mode: stdout carries the protocol, so every log line goes to stderr.
    const logger = createLogger({ level: flags.logLevel, fd: 2 });
    const def = pick(registry, flags.stdio).get(flags.stdio) as UdfDefinition;
    const reason = await runStdioSession({
      def,
      input: process.stdin,
      output: process.stdout,
      logger,
      maxFrameBytes: flags.maxFrameBytes,
    });
    process.exitCode = reason === 'eof' ? 0 : 1;
    return;
  }

  const logger = createLogger({ level: flags.logLevel });
  const host = new UdfHost({
    socketDir: flags.socketDir,
    registry: pick(registry, flags.functions),
    udfModules: urls,
    threads: flags.threads,
    access: { mode: flags.socketMode, dirMode: flags.dirMode, ...(flags.socketGroup !== undefined ? { gid: flags.socketGroup } : {}) },
    maxFrameBytes: flags.maxFrameBytes,
    highWaterMark: flags.maxInflight,
    heartbeatMs: 1000,
    stallTimeoutMs: flags.stallTimeout,
    logger,
    logLevel: flags.logLevel,
  });
  let signalled = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signalled > 1) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    logger.info({ signal }, 'signal received');
    void host.stop(flags.grace).then(() => process.exit(0));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await host.start();
  } catch (err) {
    logger.fatal({ err: (err as Error).message, code: (err as { code?: string }).code }, 'cannot start the host');
    process.exit(1);
  }
}

/** `kudf serve`: the UDF host. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve every function on <socket-dir>/<function>.sock, or one function over stdin/stdout with --stdio')
    .option('--socket-dir <dir>', 'directory for the socket files (env KUDF_SOCKET_DIR)', defaultSocketDir())
    .option('--functions <names>', 'comma-separated functions to serve (default: all)')
    .option('--threads <n>', 'worker threads; 0 runs every session on the main thread', intArg(0, 256), availableParallelism())
    .option('--socket-mode <mode>', 'socket file mode; 666 lets a kapacitor user of another container connect', modeArg, 0o666)
    .option('--dir-mode <mode>', 'socket directory mode when created', modeArg, 0o755)
    .option('--socket-group <group>', 'group (name or gid) for the sockets, and the directory when created; use with --socket-mode 660')
    .option('--udf-dir <dir>', 'also load functions from the .js/.mjs files in this directory')
    .option('--max-frame-bytes <n>', 'largest accepted frame body', intArg(1), DEFAULT_MAX_FRAME_BYTES)
    // Small by default on purpose: whatever is queued ahead of a request is latency for it.
    .option('--max-inflight <bytes>', 'per connection: bytes read but not yet processed, and replies not yet taken, before reading pauses', intArg(16 * 1024), 64 * 1024)
    .option('--grace <duration>', 'how long sessions may finish after SIGTERM/SIGINT', durationMsArg, 10_000)
    .option('--stall-timeout <duration>', 'replace a worker that answers no heartbeat for this long', durationMsArg, 30_000)
    .option('--log-level <level>', 'trace, debug, info, warn, error, fatal or silent', logLevelArg, 'info' as LogLevel)
    .option('--stdio <function>', "process mode: serve one function over stdin/stdout (Kapacitor's prog/args)")
    .action(async (flags: ServeFlags & { socketGroup?: string | number }) => {
      if (typeof flags.socketGroup === 'string') flags.socketGroup = groupArg(flags.socketGroup);
      await serve(flags);
    });
}
