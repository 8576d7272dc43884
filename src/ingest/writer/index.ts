/**
 * The ingest writer: where polled points go.
 *
 * ```ts
 * const settings = resolveInfluxSettings(command.opts(), process.env, '.env');
 * const writer = createWriter(settings, { logger });
 * writer.write(points);   // durable at once, delivered within the flush interval
 * await writer.close();   // on shutdown
 * ```
 *
 * - `stdout` target: {@link StdoutWriter}, line protocol on stdout.
 * - `v1` target: `/write` on any InfluxDB 1.x; `v2` target: `/api/v2/write` through
 *   `@influxdata/influxdb-client` (2.x, 3.x, 1.8+, VictoriaMetrics).
 * - Both InfluxDB writers go through a durable on-disk queue (see `durable-queue.ts`) and
 *   deliver it in order; see `queued-writer.ts` for the retry rules and why a replay after a
 *   crash does not duplicate points.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { InfluxSettings } from './influx-settings.js';
import { systemClock, type Clock } from '../timing/index.js';
import type { PointWriter } from './point-writer.js';
import { QueuedWriter } from './queued-writer.js';
import { redactUrl, secretScrubber } from './redact.js';
import { StdoutWriter } from './stdout-writer.js';
import { V1Transport } from './v1-transport.js';
import { V2Transport } from './v2-transport.js';

export type { PointWriter } from './point-writer.js';
export type { WriterStats } from './stats.js';
export type { Clock } from '../timing/index.js';
export type { DeadLetterEntry } from './dead-letter.js';
export { WriterError, type WriterErrorCode } from './errors.js';
export { StdoutWriter } from './stdout-writer.js';
export { redactUrl } from './redact.js';
export { pointFromJson } from './json-points.js';
// The InfluxDB settings of `kudf poll` and `kudf publish`, whole: the CLI resolves them, the writer reads them.
export * from './influx-settings.js';

/**
 * Queue directory when neither the settings nor the caller name one: `$KUDF_QUEUE_DIR`, else
 * under the user's home (`~/.local/state/kudf/queue`), which survives reboots and is writable
 * by a non-root container user, unlike the working directory.
 */
export function defaultQueueDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['KUDF_QUEUE_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const state = env['XDG_STATE_HOME'];
  return state !== undefined && state !== ''
    ? join(state, 'kudf', 'queue')
    : join(homedir(), '.local', 'state', 'kudf', 'queue');
}

export interface WriterDeps {
  logger: Logger;
  /** Queue directory when the settings name none (`--queue-dir`); default {@link defaultQueueDir}. */
  queueDir?: string;
  /** Default `<queueDir>/dead-letter.jsonl`. */
  deadLetterPath?: string;
  /** Timers and the time used to stamp points; default the real clock (which follows node:test mock.timers). */
  clock?: Clock;
  /** Jitter source for the backoff; default Math.random. */
  random?: () => number;
  /** Output of the stdout target; default process.stdout. */
  stdout?: Writable;
  /** Queue segment size; tests make it small to exercise segment rolling. */
  segmentBytes?: number;
}

/**
 * Makes the writer the settings ask for. Throws `WriterError` (`KUDF_WRITER_QUEUE_BUSY`,
 * `KUDF_WRITER_QUEUE_IO`) when the queue directory cannot be used.
 */
export function createWriter(settings: InfluxSettings, deps: WriterDeps): PointWriter {
  const { target, tuning } = settings;
  if (target.kind === 'stdout') return new StdoutWriter(deps.stdout);
  const clock = deps.clock ?? systemClock;
  if (!tuning.tlsRejectUnauthorized && target.url.startsWith('https:')) {
    // Turned off on purpose, but a man in the middle would now see every token and password.
    deps.logger.warn(
      { url: redactUrl(target.url) },
      'TLS certificate verification is OFF for the InfluxDB connection (--influx-insecure-skip-verify)',
    );
  }
  const secrets =
    target.kind === 'v1' ? [target.password] : [target.token, ...(target.token?.split(':').slice(1) ?? [])];
  const scrub = secretScrubber(secrets);
  const now = (): number => clock.now();
  const transport =
    target.kind === 'v1'
      ? new V1Transport({ target, tuning, scrub, now })
      : new V2Transport({ target, tuning, scrub, now, logger: deps.logger });
  return new QueuedWriter({
    transport,
    tuning,
    queueDir: resolve(settings.queueDir ?? deps.queueDir ?? defaultQueueDir()),
    logger: deps.logger,
    clock,
    random: deps.random ?? Math.random,
    scrub,
    ...(deps.deadLetterPath !== undefined ? { deadLetterPath: deps.deadLetterPath } : {}),
    ...(deps.segmentBytes !== undefined ? { segmentBytes: deps.segmentBytes } : {}),
  });
}
