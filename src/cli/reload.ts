import type { Command } from 'commander';
import { readHostStatus, type ReloadOutcome } from '../host/index.js';
import { defaultSocketDir, durationOption } from './arg-parsers.js';

interface ReloadFlags {
  socketDir: string;
  timeout: number;
}

const POLL_MS = 100;

/** One line a person can act on: what changed, what moved, what needs a Kapacitor restart. */
export function describeReload(r: ReloadOutcome): string {
  if (r.outcome === 'failed') return `reload ${r.generation} failed, nothing changed: ${r.error ?? 'unknown error'}`;
  const parts = [
    `reload ${r.generation}: ${r.outcome}`,
    `changed: ${r.changed.join(', ') || 'none'}`,
    `sessions moved ${r.moved}, kept on their code ${r.kept}, moving after their batch ${r.deferred}`,
  ];
  if (r.added.length > 0) parts.push(`new: ${r.added.join(', ')}`);
  if (r.removed.length > 0) parts.push(`no longer defined, still served: ${r.removed.join(', ')}`);
  if (r.restartKapacitorFor.length > 0)
    parts.push(
      `restart Kapacitor to use ${r.restartKapacitorFor.join(', ')} as now defined (it reads Info only at start-up)`,
    );
  if (r.error !== undefined) parts.push(r.error);
  return parts.join('; ');
}

/**
 * Sends SIGHUP to the host serving the socket directory (found through its status file) and
 * waits for the reload's outcome there. Exit code 0: reloaded or nothing to reload; 1: the reload
 * failed or some worker kept its code; 2: no host, or no outcome in time.
 */
async function reload(flags: ReloadFlags): Promise<number> {
  const status = await readHostStatus(flags.socketDir);
  if (status === undefined) {
    process.stderr.write(`no running host serves ${flags.socketDir} (no live status file there)\n`);
    return 2;
  }
  const before = status.lastReload?.generation ?? 0;
  process.kill(status.pid, 'SIGHUP');
  const deadline = Date.now() + flags.timeout;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const now = await readHostStatus(flags.socketDir);
    const last = now?.lastReload;
    if (last !== undefined && last.generation > before) {
      process.stdout.write(`${describeReload(last)}\n`);
      return last.outcome === 'ok' || last.outcome === 'unchanged' ? 0 : 1;
    }
  }
  process.stderr.write(`the host (pid ${status.pid}) gave no reload outcome within ${flags.timeout} ms; see its log\n`);
  return 2;
}

/** `kudf reload`: re-read the running host's --udf-dir without ending its tasks. */
export function registerReload(program: Command): void {
  program
    .command('reload')
    .description('make the running host re-read its --udf-dir (as SIGHUP does) and print what the reload did')
    .option('--socket-dir <dir>', 'the socket directory of the host (env KUDF_SOCKET_DIR)', defaultSocketDir())
    .addOption(durationOption('--timeout <duration>', 'how long to wait for the outcome', { default: 30_000 }))
    .action(async (flags: ReloadFlags) => {
      process.exitCode = await reload(flags);
    });
}
