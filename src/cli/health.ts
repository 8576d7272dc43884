import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { HOST_STATUS_FILE, readHostStatus } from '../host/index.js';
import { probeInfo } from '../probe/index.js';
import { defaultSocketDir, durationOption } from './arg-parsers.js';

interface HealthFlags {
  socketDir: string;
  timeout: number;
  quiet: boolean;
}

/** Asks every socket in the directory for Info; true only when all of them (at least one) answer. */
export async function checkHealth(
  dir: string,
  timeoutMs: number,
): Promise<{ healthy: boolean; results: Array<{ socket: string; ok: boolean; detail: string }> }> {
  let names: string[] = [];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.sock')).sort();
  } catch (err) {
    return { healthy: false, results: [{ socket: dir, ok: false, detail: (err as Error).message }] };
  }
  const results = await Promise.all(
    names.map(async (name) => {
      const socket = join(dir, name);
      try {
        const info = await withTimeout(probeInfo({ socket }, timeoutMs), timeoutMs);
        return {
          socket,
          ok: true,
          detail: `${info.wants} -> ${info.provides}, ${Object.keys(info.options).length} options`,
        };
      } catch (err) {
        return { socket, ok: false, detail: (err as Error).message };
      }
    }),
  );
  if (results.length === 0) return { healthy: false, results: [{ socket: dir, ok: false, detail: 'no sockets' }] };
  // Every socket answering is not enough when the host says it is short of workers.
  const status = await readHostStatus(dir);
  if (status?.state === 'degraded') {
    const why = status.down.map((d) => `slot ${d.slot}: ${d.error}`).join('; ');
    results.push({
      socket: join(dir, HOST_STATUS_FILE),
      ok: false,
      detail: `DEGRADED: ${status.up} of ${status.threads} workers up, ${status.onMainThread} sessions on the main thread (${why})`,
    });
  }
  return { healthy: results.every((r) => r.ok), results };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms}ms`)), ms)),
  );
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `kudf health`: for container health checks, so Kapacitor can wait for the host. */
export function registerHealth(program: Command): void {
  program
    .command('health')
    .description('exit 0 only when every socket in the socket directory answers Info and the host is not degraded')
    .option('--socket-dir <dir>', 'the socket directory (env KUDF_SOCKET_DIR)', defaultSocketDir())
    .addOption(durationOption('--timeout <duration>', 'how long each socket may take', { default: 3000 }))
    .option('--quiet', 'print nothing', false)
    .action(async (flags: HealthFlags) => {
      const { healthy, results } = await checkHealth(flags.socketDir, flags.timeout);
      if (!flags.quiet)
        for (const r of results) process.stdout.write(`${r.ok ? 'ok  ' : 'FAIL'} ${r.socket}: ${r.detail}\n`);
      process.exitCode = healthy ? 0 : 1;
    });
}
