import type { Logger } from '../../log/index.js';
import type { PollConfig, RouterConfig } from '../config/index.js';
import { HttpSession } from '../http/index.js';
import { SshSession } from '../ssh/index.js';
import { TelnetSession } from '../telnet/index.js';
import { systemClock, type Clock } from '../timing/index.js';
import { Tr064Session } from '../tr064/index.js';
import { RouterPoller, type CommandRunner, type PointSink, type StatusParser } from './router-poller.js';
import { PollScheduler } from './scheduler.js';

export interface PollServiceOptions {
  config: Pick<PollConfig, 'routers' | 'concurrency' | 'maxBackoffMs' | 'jitter' | 'shutdownTimeoutMs'>;
  parse: StatusParser;
  sink: PointSink;
  logger: Logger;
  clock?: Clock;
  random?: () => number;
  /** Makes the connection for a router; the transport's session (`sessionFor`) unless a test says otherwise. */
  runnerFactory?: (router: RouterConfig, logger: Logger) => CommandRunner;
  onScheduled?: (router: string, delayMs: number, failures: number) => void;
}

/** The kept session for a router's transport. */
export function sessionFor(router: RouterConfig, logger: Logger, clock: Clock = systemClock): CommandRunner {
  switch (router.transport) {
    case 'telnet':
      return new TelnetSession({ router, logger, clock });
    case 'tr064':
      return new Tr064Session({ router, logger, clock });
    case 'http':
      if (router.http === undefined) throw new Error(`router ${router.name}: transport http without http settings`);
      return new HttpSession({ router: { ...router, http: router.http }, logger, clock });
    default:
      return new SshSession({ router, logger, clock });
  }
}

/** All routers of one config: a poller and a kept-open session each, driven by one scheduler. */
export class PollService {
  readonly pollers: RouterPoller[];
  readonly runners: CommandRunner[];
  private readonly scheduler: PollScheduler;
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: PollServiceOptions) {
    const clock = opts.clock ?? systemClock;
    const makeRunner =
      opts.runnerFactory ?? ((router: RouterConfig, logger: Logger) => sessionFor(router, logger, clock));
    this.runners = [];
    this.pollers = opts.config.routers.map((router) => {
      const logger = opts.logger.child({ router: router.name });
      const runner = makeRunner(router, logger);
      this.runners.push(runner);
      return new RouterPoller({ router, runner, parse: opts.parse, sink: opts.sink, clock, logger });
    });
    this.scheduler = new PollScheduler(
      this.pollers.map((p, i) => ({
        id: p.name,
        intervalMs: opts.config.routers[i]?.intervalMs ?? 60_000,
        run: async () => (await p.poll()).success,
      })),
      {
        concurrency: opts.config.concurrency,
        maxBackoffMs: opts.config.maxBackoffMs,
        jitter: opts.config.jitter,
        clock,
        logger: opts.logger,
        ...(opts.random !== undefined ? { random: opts.random } : {}),
        ...(opts.onScheduled !== undefined ? { onScheduled: opts.onScheduled } : {}),
      },
    );
  }

  start(): void {
    this.opts.logger.info(
      { routers: this.pollers.length, concurrency: this.opts.config.concurrency },
      'polling started',
    );
    this.scheduler.start();
  }

  /** Polls every router once and resolves when all are done. */
  async runOnce(): Promise<void> {
    await this.scheduler.runOnce();
  }

  /** Stops scheduling, waits for polls in flight up to shutdownTimeout, then closes every connection. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const left = await this.scheduler.stop(this.opts.config.shutdownTimeoutMs);
      if (left > 0)
        this.opts.logger.warn(
          { unfinished: left },
          'polls still running at the shutdown deadline; closing their connections',
        );
      for (const r of this.runners) r.close();
    })();
    return this.stopping;
  }
}
