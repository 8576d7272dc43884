/**
 * What the transport tests (SSH, shell mode, telnet, TR-064) share: a router entry run through
 * the real config validation, and a RouterPoller on a session that keeps the points it writes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { validatePollConfig, type RouterConfig } from '../../src/ingest/config/index.js';
import { RouterPoller, systemClock, type CommandRunner, type StatusParser } from '../../src/ingest/poller/index.js';
import type { Logger } from '../../src/log/index.js';
import type { LinePoint } from '../../src/line-protocol/index.js';
import { captureLogger } from './fake-router-logs.js';
import { REPO_ROOT } from './host-process.js';

/** One router of a config file as the poller gets it (durations in ms, secrets resolved from `env`). */
export function routerConfig(entry: Record<string, unknown>, env: Record<string, string> = {}): RouterConfig {
  const c = validatePollConfig(
    { routers: [entry] },
    { env, readFile: (p) => readFileSync(p, 'utf8'), baseDir: REPO_ROOT, homeDir: REPO_ROOT },
  );
  const r = c.routers[0];
  assert.ok(r !== undefined);
  return r;
}

export interface PollHarness<S extends CommandRunner> {
  poller: RouterPoller;
  session: S;
  /** The points of each poll, in order. */
  written: LinePoint[][];
  log: ReturnType<typeof captureLogger>;
}

/** A poller for `router` on the session `open` makes, logging into `log`. Close `session` when done. */
export function pollerOn<S extends CommandRunner>(
  router: RouterConfig,
  open: (router: RouterConfig, logger: Logger) => S,
  parse: StatusParser,
  log: ReturnType<typeof captureLogger>,
): PollHarness<S> {
  const session = open(router, log.logger);
  const written: LinePoint[][] = [];
  const poller = new RouterPoller({
    router,
    runner: session,
    parse,
    sink: (p) => written.push(p),
    clock: systemClock,
    logger: log.logger,
  });
  return { poller, session, written, log };
}
