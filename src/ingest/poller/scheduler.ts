import type { Logger } from '../../log/index.js';
import type { Clock } from '../timing/index.js';
import { nextDelayMs, type BackoffSettings } from './backoff.js';
import { Semaphore } from './semaphore.js';

export interface ScheduledJob {
  id: string;
  intervalMs: number;
  /** Resolves true on success. A rejection counts as a failure. */
  run(): Promise<boolean>;
}

export interface SchedulerOptions extends BackoffSettings {
  concurrency: number;
  clock: Clock;
  random?: () => number;
  logger?: Logger;
  /** Told about every wait that is set up, so tests and metrics can see the schedule. */
  onScheduled?: (id: string, delayMs: number, failures: number) => void;
}

interface JobState {
  job: ScheduledJob;
  failures: number;
  timer: unknown;
  running: Promise<void> | undefined;
}

/**
 * Runs each job on its own interval with jitter, at most `concurrency` at a time, and never
 * two runs of the same job at once. A job that fails waits exponentially longer (capped). A
 * job that hangs holds only its own slot until its timeout; the others keep their schedule.
 */
export class PollScheduler {
  private readonly states: JobState[];
  private readonly sem: Semaphore;
  private readonly random: () => number;
  private stopped = false;

  constructor(
    jobs: readonly ScheduledJob[],
    private readonly opts: SchedulerOptions,
  ) {
    this.states = jobs.map((job) => ({ job, failures: 0, timer: undefined, running: undefined }));
    this.sem = new Semaphore(opts.concurrency);
    this.random = opts.random ?? Math.random;
  }

  /** Consecutive failures per job id. */
  failures(id: string): number {
    return this.states.find((s) => s.job.id === id)?.failures ?? 0;
  }

  /** Starts the schedule; first runs are spread over `jitter` of each interval so a restart is no login storm. */
  start(): void {
    for (const s of this.states) this.arm(s, Math.round(this.random() * s.job.intervalMs * this.opts.jitter));
  }

  /** Runs every job once (bounded by concurrency), without scheduling more. */
  async runOnce(): Promise<void> {
    await Promise.all(this.states.map((s) => this.fire(s, false)));
  }

  /**
   * Stops scheduling and waits up to `deadlineMs` for runs in flight. Resolves with the
   * number still running at the deadline; the caller then closes their connections.
   */
  async stop(deadlineMs: number): Promise<number> {
    this.stopped = true;
    for (const s of this.states) {
      if (s.timer !== undefined) this.opts.clock.clearTimeout(s.timer);
      s.timer = undefined;
    }
    this.sem.cancelWaiters();
    const running = this.states.map((s) => s.running).filter((p): p is Promise<void> => p !== undefined);
    if (running.length === 0) return 0;
    let timer: unknown;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = this.opts.clock.setTimeout(() => resolve('deadline'), deadlineMs);
    });
    const outcome = await Promise.race([Promise.all(running).then(() => 'done' as const), deadline]);
    this.opts.clock.clearTimeout(timer);
    return outcome === 'done' ? 0 : this.states.filter((s) => s.running !== undefined).length;
  }

  private arm(s: JobState, delayMs: number): void {
    if (this.stopped) return;
    this.opts.onScheduled?.(s.job.id, delayMs, s.failures);
    s.timer = this.opts.clock.setTimeout(() => {
      s.timer = undefined;
      void this.fire(s, true);
    }, delayMs);
  }

  private async fire(s: JobState, reschedule: boolean): Promise<void> {
    if (this.stopped || s.running !== undefined) return;
    const run = (async () => {
      const release = await this.sem.acquire();
      if (release === undefined) return;
      if (this.stopped) {
        release();
        return;
      }
      const startedAt = this.opts.clock.monotonic();
      let ok = false;
      try {
        ok = await s.job.run();
      } catch (err) {
        this.opts.logger?.error({ router: s.job.id, err }, 'poll job threw');
      } finally {
        release();
      }
      s.failures = ok ? 0 : s.failures + 1;
      if (reschedule) {
        // Measured from the start of this run, so the cadence does not drift by the poll's duration.
        const elapsed = this.opts.clock.monotonic() - startedAt;
        const delay = nextDelayMs(s.job.intervalMs, s.failures, this.opts, this.random);
        this.arm(s, Math.max(0, Math.round(delay - elapsed)));
      }
    })();
    s.running = run;
    try {
      await run;
    } finally {
      s.running = undefined;
    }
  }
}
