import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecoveryError } from './errors.js';

/** What the host keeps in `<state-dir>/tasks.json`. */
export interface TaskState {
  version: 1;
  /** Every task that had a session on this host, with the functions it used and when it was last seen. */
  tasks: Record<string, { functions: string[]; lastSeen: string }>;
  /**
   * Tasks the host has disabled in order to enable them again: if the host dies between the
   * two calls, the next start still enables them instead of taking them for disabled by a person.
   */
  restarting: string[];
}

const EMPTY: TaskState = { version: 1, tasks: {}, restarting: [] };

/**
 * The task state file. Writes go to a temporary file renamed over the old one, so a host killed
 * while writing leaves the previous version, never half a file.
 */
export class TaskStateFile {
  readonly path: string;
  private state: TaskState;

  constructor(dir: string) {
    this.path = join(dir, 'tasks.json');
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new RecoveryError(
        'KUDF_RECOVERY_STATE',
        `--state-dir ${dir}: cannot create it (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        { cause: err },
      );
    }
    this.state = this.read();
    this.write();
  }

  get taskIDs(): string[] {
    return Object.keys(this.state.tasks).sort();
  }

  isRestarting(id: string): boolean {
    return this.state.restarting.includes(id);
  }

  /** Records a task seen on this host; true when it is new. */
  seen(id: string, fn: string, now = new Date()): boolean {
    const known = this.state.tasks[id];
    const functions = known === undefined ? [fn] : [...new Set([...known.functions, fn])].sort();
    this.state.tasks[id] = { functions, lastSeen: now.toISOString() };
    this.write();
    return known === undefined;
  }

  forget(id: string): void {
    delete this.state.tasks[id];
    this.state.restarting = this.state.restarting.filter((t) => t !== id);
    this.write();
  }

  setRestarting(id: string, on: boolean): void {
    const rest = this.state.restarting.filter((t) => t !== id);
    this.state.restarting = on ? [...rest, id] : rest;
    this.write();
  }

  private read(): TaskState {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return structuredClone(EMPTY);
      throw new RecoveryError(
        'KUDF_RECOVERY_STATE',
        `${this.path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        { cause: err },
      );
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (err) {
      throw new RecoveryError(
        'KUDF_RECOVERY_STATE',
        `${this.path}: not JSON (${(err as Error).message}); move it away to start with no known tasks`,
        { cause: err },
      );
    }
    const d = doc as Partial<TaskState>;
    if (d.version !== 1 || typeof d.tasks !== 'object' || d.tasks === null || !Array.isArray(d.restarting)) {
      throw new RecoveryError(
        'KUDF_RECOVERY_STATE',
        `${this.path}: not a version 1 task state file; move it away to start with no known tasks`,
      );
    }
    return { version: 1, tasks: d.tasks, restarting: d.restarting.filter((t): t is string => typeof t === 'string') };
  }

  private write(): void {
    const tmp = `${this.path}.tmp`;
    try {
      writeFileSync(tmp, `${JSON.stringify(this.state, null, 2)}\n`, { mode: 0o600 });
      renameSync(tmp, this.path);
    } catch (err) {
      throw new RecoveryError(
        'KUDF_RECOVERY_STATE',
        `${this.path}: cannot write it (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        { cause: err },
      );
    }
  }
}
