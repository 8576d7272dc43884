import type { Logger } from '../../log/index.js';
import type { LinePoint } from '../../line-protocol/index.js';
import type { RouterConfig } from '../config/index.js';
import type { PollErrorClass } from '../transport/index.js';
import { pollPoint, statusToPoints, type PointContext } from './status-points.js';
import type { Clock } from '../timing/index.js';

/** What the parsers return (`parseStatus(family | 'auto', text)`); `status` is their LineStatus. */
export type ParseOutcome = { ok: true; family: string; status: object } | { ok: false; family: string; reason: string };

export type StatusParser = (family: string, text: string) => ParseOutcome;

/** The part of a router session (SSH, telnet, TR-064, HTTP) a poller needs; tests substitute a fake. */
export interface CommandRunner {
  run(command: string, timeoutMs: number): Promise<string>;
  close(): void;
}

/**
 * A transport's own failure (TransportError, or any runner's error of that shape): it carries a stable `KUDF_` code and the
 * `error_class` it counts as. Anything else thrown by a runner is an internal error.
 */
function transportFailure(err: unknown): { errorClass: PollErrorClass; code: string } | undefined {
  if (!(err instanceof Error)) return undefined;
  const { code, errorClass } = err as Error & { code?: unknown; errorClass?: unknown };
  if (typeof code !== 'string' || !code.startsWith('KUDF_') || typeof errorClass !== 'string') return undefined;
  return POLL_ERROR_CLASSES.has(errorClass) ? { errorClass: errorClass as PollErrorClass, code } : undefined;
}

const POLL_ERROR_CLASSES: ReadonlySet<string> = new Set<PollErrorClass>([
  'connect',
  'auth',
  'hostkey',
  'timeout',
  'parse',
  'command',
  'internal',
]);

/** Where points go: the writer's `write`, which must not throw for a full or slow database. */
export type PointSink = (points: LinePoint[]) => void;

export interface PollResult {
  success: boolean;
  errorClass: PollErrorClass;
  durationMs: number;
  points: LinePoint[];
}

/** Running totals for one router, for logs and tests. */
export interface RouterStats {
  polls: number;
  failures: number;
  parseFailures: number;
  /** Status keys dropped because their value had the wrong type. */
  droppedKeys: number;
  lastErrorClass: PollErrorClass;
}

export interface RouterPollerOptions {
  router: Pick<RouterConfig, 'name' | 'command' | 'parser' | 'timeoutMs' | 'tags'>;
  runner: CommandRunner;
  parse: StatusParser;
  sink: PointSink;
  clock: Clock;
  logger: Logger;
}

/**
 * One poll of one router: run the status command, parse it, write `adsl_connection`,
 * `adsl_line` and always `adsl_poll`. Never throws: every failure becomes an `adsl_poll`
 * point with its error class and a log line.
 */
export class RouterPoller {
  readonly stats: RouterStats = { polls: 0, failures: 0, parseFailures: 0, droppedKeys: 0, lastErrorClass: 'none' };

  constructor(private readonly opts: RouterPollerOptions) {}

  get name(): string {
    return this.opts.router.name;
  }

  async poll(): Promise<PollResult> {
    const { router, clock, logger } = this.opts;
    const ctx: PointContext = {
      host: router.name,
      tags: router.tags,
      time: BigInt(Math.round(clock.now())) * 1_000_000n,
    };
    const t0 = clock.monotonic();
    let points: LinePoint[] = [];
    let errorClass: PollErrorClass = 'none';
    try {
      const text = await this.opts.runner.run(router.command, router.timeoutMs);
      const parsed = this.parse(text);
      if (!parsed.ok) {
        errorClass = 'parse';
        this.stats.parseFailures += 1;
        logger.warn(
          { router: router.name, family: parsed.family, reason: parsed.reason, bytes: text.length },
          'status output not understood',
        );
      } else {
        const built = statusToPoints(parsed.status, ctx);
        points = built.points;
        if (built.skipped.length > 0) {
          this.stats.droppedKeys += built.skipped.length;
          logger.warn({ router: router.name, family: parsed.family, skipped: built.skipped }, 'status values dropped');
        }
      }
    } catch (err) {
      const known = transportFailure(err);
      errorClass = known?.errorClass ?? 'internal';
      const code = known?.code;
      const msg = err instanceof Error ? err.message : String(err);
      logger.warn({ router: router.name, errorClass, code, err: msg }, 'poll failed');
    }
    const durationMs = Math.max(0, clock.monotonic() - t0);
    const success = errorClass === 'none';
    points.push(pollPoint(ctx, { durationMs, success, errorClass }));
    this.stats.polls += 1;
    if (!success) this.stats.failures += 1;
    this.stats.lastErrorClass = errorClass;
    try {
      this.opts.sink(points);
    } catch (err) {
      logger.error({ router: router.name, err }, 'writing points failed');
    }
    logger.debug({ router: router.name, success, errorClass, durationMs: Math.round(durationMs) }, 'poll done');
    return { success, errorClass, durationMs, points };
  }

  private parse(text: string): ParseOutcome {
    try {
      return this.opts.parse(this.opts.router.parser, text);
    } catch (err) {
      // A parser bug must cost one poll, not the poller.
      return {
        ok: false,
        family: this.opts.router.parser,
        reason: `parser threw: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
  }
}
