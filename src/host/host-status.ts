import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PoolHealth } from './worker-pool.js';

/**
 * The running host's state, in its socket directory for `kudf health`: Kapacitor's protocol has
 * no way to say "serving, but not at full strength", and health checks run as another process.
 * The name is not `*.sock`, so nothing takes it for a function's socket.
 */
export const HOST_STATUS_FILE = '.kudf-status.json';

export interface HostStatus extends PoolHealth {
  pid: number;
  /** 'degraded' while a worker slot is down (its replacements fail to start). */
  state: 'ok' | 'degraded';
  /** The last reload (SIGHUP or `kudf reload`), once there was one. */
  lastReload?: ReloadOutcome;
}

/** What a reload did, as its log line, /status and `kudf reload` say it. */
export interface ReloadOutcome {
  /** Counts the reloads since the host started, from 1. */
  generation: number;
  at: string;
  /**
   * ok: code changed and was taken; unchanged: nothing to take; partial: some worker could not
   * reload (its sessions stay on their code); failed: nothing changed (see error).
   */
  outcome: 'ok' | 'unchanged' | 'partial' | 'failed';
  error?: string;
  /** Functions whose code changed. */
  changed: string[];
  /** New functions, served from now on (Kapacitor needs a restart to know them). */
  added: string[];
  /** Functions no longer defined, still served with their old code. */
  removed: string[];
  /** Sessions moved to the new code, kept on the old, and to move when their open batch ends. */
  moved: number;
  kept: number;
  deferred: number;
  /** Functions whose Info (options, edge types) Kapacitor knows only after its restart. */
  restartKapacitorFor: string[];
}

/** Replaces the status file in one step (write aside, then rename), so a reader never sees half. */
export async function writeHostStatus(dir: string, status: HostStatus): Promise<void> {
  const path = join(dir, HOST_STATUS_FILE);
  const aside = `${path}.${process.pid}`;
  await writeFile(aside, `${JSON.stringify(status)}\n`);
  await rename(aside, path);
}

/** Removes the status file if it is this process's. */
export async function removeHostStatus(dir: string): Promise<void> {
  const path = join(dir, HOST_STATUS_FILE);
  const status = await readHostStatus(dir);
  if (status?.pid === process.pid) await unlink(path).catch(() => undefined);
}

/**
 * The status of the host serving `dir`, or undefined when there is none, it cannot be read, or
 * the process that wrote it is gone (a host killed without its shutdown leaves the file).
 */
export async function readHostStatus(dir: string): Promise<HostStatus | undefined> {
  let status: HostStatus;
  try {
    status = JSON.parse(await readFile(join(dir, HOST_STATUS_FILE), 'utf8')) as HostStatus;
  } catch {
    return undefined;
  }
  if (typeof status.pid !== 'number' || !alive(status.pid)) return undefined;
  return status;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
