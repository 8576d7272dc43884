import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PollErrorClass } from '../ingest/index.js';

/** What the poller's metrics read from the writer on each scrape (its WriterStats and queue). */
export interface WriterFigures {
  accepted: number;
  written: number;
  queued: number;
  queuedBytes: number;
  /** Seconds since the oldest queued line was accepted; 0 when the queue is empty. */
  oldestQueuedSeconds: number;
  dropped: number;
  deadLettered: number;
  invalid: number;
  requests: number;
  retries: number;
}

/** One finished poll, as the poller's `adsl_poll` point describes it. */
export interface PollOutcome {
  router: string;
  /** `none` for a successful poll. */
  errorClass: string;
  durationMs: number;
  /** Points of this poll other than `adsl_poll` itself. */
  points: number;
}

const POLL_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

// Every class a poll can end in; the Record makes the compiler check that none is missing.
const ERROR_CLASSES = Object.keys({
  none: true,
  connect: true,
  auth: true,
  hostkey: true,
  timeout: true,
  parse: true,
  command: true,
  internal: true,
} satisfies Record<PollErrorClass, true>) as PollErrorClass[];

/** A counter whose value is read from a running total on each scrape. */
function totalCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/**
 * The poller's Prometheus metrics. Routers come from the config (a fixed, small set), so the
 * router is a label; the error class is one of the poller's fixed classes.
 */
export class PollerMetrics {
  readonly registry = new Registry();
  private readonly polls: Counter<'router' | 'error_class'>;
  private readonly duration: Histogram<'router'>;
  private readonly points: Counter<'router'>;

  constructor(routers: readonly string[], writer: () => WriterFigures) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'kudf_' });
    this.polls = new Counter({
      name: 'kudf_poll_total',
      help: 'Polls finished, by router and error_class (none for a successful poll)',
      labelNames: ['router', 'error_class'],
      registers,
    });
    this.duration = new Histogram({
      name: 'kudf_poll_duration_seconds',
      help: 'Poll duration (command and parse), by router',
      labelNames: ['router'],
      buckets: POLL_BUCKETS,
      registers,
    });
    this.points = new Counter({
      name: 'kudf_poll_points_total',
      help: 'adsl_connection and adsl_line points made from polls, by router',
      labelNames: ['router'],
      registers,
    });
    // Every router's series exist from the first scrape at 0, each error class included, so an
    // alert on rate(kudf_poll_total{error_class="auth"}[5m]) > 0 sees the first failure.
    for (const router of routers) {
      for (const errorClass of ERROR_CLASSES) this.polls.inc({ router, error_class: errorClass }, 0);
      this.points.inc({ router }, 0);
    }
    const r = this.registry;
    totalCounter(r, 'kudf_writer_points_accepted_total', 'Points handed to the writer', () => writer().accepted);
    totalCounter(r, 'kudf_writer_lines_written_total', 'Lines the database acknowledged', () => writer().written);
    totalCounter(r, 'kudf_writer_requests_total', 'Write requests sent', () => writer().requests);
    totalCounter(r, 'kudf_writer_retries_total', 'Failed write requests that are retried', () => writer().retries);
    totalCounter(
      r,
      'kudf_writer_dropped_lines_total',
      'Lines dropped because the queue reached its bound (oldest first)',
      () => writer().dropped,
    );
    totalCounter(
      r,
      'kudf_writer_dead_letter_lines_total',
      'Lines set aside in the dead-letter file (rejected by the database, or not line protocol)',
      () => writer().deadLettered,
    );
    totalCounter(
      r,
      'kudf_writer_invalid_points_total',
      'Points that could not be turned into line protocol',
      () => writer().invalid,
    );
    const gauge = (name: string, help: string, read: () => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    };
    gauge('kudf_writer_queue_lines', 'Lines waiting in the durable queue', () => writer().queued);
    gauge('kudf_writer_queue_bytes', 'Bytes waiting in the durable queue', () => writer().queuedBytes);
    gauge(
      'kudf_writer_queue_oldest_age_seconds',
      'Age of the oldest line waiting in the queue (0 when empty)',
      () => writer().oldestQueuedSeconds,
    );
  }

  /** Counts one finished poll. */
  poll(outcome: PollOutcome): void {
    this.polls.inc({ router: outcome.router, error_class: outcome.errorClass });
    this.duration.observe({ router: outcome.router }, outcome.durationMs / 1000);
    if (outcome.points > 0) this.points.inc({ router: outcome.router }, outcome.points);
  }
}
