import type { Logger } from 'pino';
import type { EndReason, HostObserver } from '../host/index.js';
import type { TaskApi } from './kapacitor-client.js';
import type { TaskStateFile } from './state-file.js';

export interface TaskRecoveryOptions {
  api: TaskApi;
  state: TaskStateFile;
  logger: Logger;
  /** Tasks with a live session on this host now. */
  liveTasks(): ReadonlySet<string>;
  /** A task was brought back (its new session started here). */
  onRecovered?(id: string): void;
  /** An attempt failed; it is retried after a backoff. */
  onFailure?(id: string, err: Error): void;
  /** First retry delay; doubles up to {@link maxRetryMs}. */
  retryMs?: number;
  maxRetryMs?: number;
  /** How long a re-enabled task may take to open its session here before the attempt counts as failed. */
  sessionWaitMs?: number;
  /** After a worker was lost, how long Kapacitor gets to fail the task before it is looked at. */
  lostDelayMs?: number;
}

type Outcome = 'running' | 'recovered' | 'left-disabled' | 'forgotten' | 'not-ours';

/**
 * Brings back the tasks this host serves after their sessions ended without Kapacitor meaning
 * it: a host restart (SIGKILL or SIGTERM) or a worker replaced under them. Kapacitor never
 * reconnects a task whose UDF socket closed; it keeps the task `enabled` but not executing, and
 * enabling an enabled task does nothing (the task store only starts a task when its status
 * changes). So each task is disabled and enabled again through the HTTP API, which starts it
 * anew: a new connection, Init, and Restore from its last stored snapshot.
 *
 * Only tasks in the state file are touched, and a task whose status is `disabled` is left
 * alone (a person disabled it), unless the host itself disabled it on the way to enabling it.
 */
export class TaskRecovery implements HostObserver {
  private readonly waiting = new Map<string, Array<() => void>>();
  private readonly running = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly o: TaskRecoveryOptions) {}

  sessionStarted(udf: string, taskID: string): void {
    if (this.o.state.seen(taskID, udf)) this.o.logger.info({ task: taskID, udf }, 'task recorded for recovery');
    const wakers = this.waiting.get(taskID);
    this.waiting.delete(taskID);
    for (const wake of wakers ?? []) wake();
  }

  connectionEnded(_udf: string, reason: EndReason, task: { taskID: string } | undefined): void {
    if (reason === 'lost' && task !== undefined && task.taskID !== '')
      this.schedule(task.taskID, this.o.lostDelayMs ?? 500);
  }

  /** Looks at every task of the state file; call once the sockets listen. Resolves when each has an outcome. */
  async recoverAll(): Promise<Map<string, Outcome>> {
    const ids = this.o.state.taskIDs;
    if (ids.length > 0) this.o.logger.info({ tasks: ids }, 'bringing back the tasks of the last run');
    const results = await Promise.all(ids.map(async (id) => [id, await this.recover(id)] as const));
    return new Map(results.filter((r): r is readonly [string, Outcome] => r[1] !== undefined));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const wakers of this.waiting.values()) for (const wake of wakers) wake();
    this.waiting.clear();
  }

  private schedule(id: string, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.recover(id);
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** Retries with backoff until the task has an outcome; undefined if the host stops first or another attempt runs. */
  private async recover(id: string): Promise<Outcome | undefined> {
    if (this.running.has(id)) return undefined;
    this.running.add(id);
    const started = Date.now();
    let delay = this.o.retryMs ?? 250;
    try {
      for (let attempt = 1; !this.stopped; attempt++) {
        try {
          const outcome = await this.attempt(id);
          if (outcome === 'recovered') {
            this.o.logger.info({ task: id, attempts: attempt, ms: Date.now() - started }, 'task brought back');
            this.o.onRecovered?.(id);
          }
          return outcome;
        } catch (err) {
          const e = err instanceof Error ? err : new Error(String(err));
          this.o.onFailure?.(id, e);
          this.o.logger.warn(
            { task: id, attempt, retryInMs: delay, err: e.message, code: (e as { code?: string }).code },
            'cannot bring the task back yet; retrying',
          );
          await this.sleep(delay);
          delay = Math.min(delay * 2, this.o.maxRetryMs ?? 30_000);
        }
      }
      return undefined;
    } finally {
      this.running.delete(id);
    }
  }

  private async attempt(id: string): Promise<Outcome> {
    const { api, state, logger } = this.o;
    const view = await api.task(id);
    if (view === undefined) {
      state.forget(id);
      logger.info({ task: id }, 'task no longer exists in Kapacitor; forgotten');
      return 'forgotten';
    }
    if (this.o.liveTasks().has(id)) {
      if (state.isRestarting(id)) state.setRestarting(id, false);
      return 'running';
    }
    if (view.status === 'disabled' && !state.isRestarting(id)) {
      logger.info({ task: id }, 'task is disabled in Kapacitor; left disabled');
      return 'left-disabled';
    }
    // Marked first: a host killed between the two calls still enables it at its next start.
    state.setRestarting(id, true);
    const opened = this.sessionOpened(id);
    if (view.status === 'enabled') await api.setStatus(id, 'disabled');
    await api.setStatus(id, 'enabled');
    state.setRestarting(id, false);
    if (await opened) return 'recovered';
    const after = await api.task(id);
    if (after?.executing === true) {
      // Running, but without a session here: its TICKscript no longer calls a function of this host.
      state.forget(id);
      logger.info({ task: id }, 'task runs without this host now; forgotten');
      return 'not-ours';
    }
    throw Object.assign(
      new Error(
        `enabled, but no session opened within ${this.o.sessionWaitMs ?? 5000} ms${after?.error ? `: ${after.error}` : ''}`,
      ),
      { code: 'KUDF_RECOVERY_NO_SESSION' },
    );
  }

  /** Resolves true when a session of the task starts here within the wait, false otherwise. */
  private sessionOpened(id: string): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        const list = this.waiting.get(id);
        if (list !== undefined)
          this.waiting.set(
            id,
            list.filter((w) => w !== wake),
          );
        resolve(false);
      }, this.o.sessionWaitMs ?? 5000);
      timer.unref();
      this.timers.add(timer);
      const wake = (): void => {
        clearTimeout(timer);
        this.timers.delete(timer);
        resolve(!this.stopped);
      };
      this.waiting.set(id, [...(this.waiting.get(id) ?? []), wake]);
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      timer.unref();
      this.timers.add(timer);
    });
  }
}
