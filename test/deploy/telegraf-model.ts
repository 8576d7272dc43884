/**
 * What the sandbox's Telegraf writes from `kudf serve --http` and `kudf poll --http`: the
 * prom-client registries of HostMetrics and PollerMetrics, driven through their own methods and
 * read with getMetricsAsJSON, turned into points the way Telegraf's `inputs.prometheus` does with
 * `metric_version = 1` (its default):
 *
 * - the measurement is the metric family's name (`kudf_host_points_in_total`);
 * - labels become tags, plus `url` (the scraped URL) and the agent's `host`;
 * - a counter's value is the field `counter`, a gauge's `gauge`, an untyped one's `value`;
 * - a histogram is one point per label set with `count`, `sum` and one field per bucket, named
 *   by its upper bound as Go's fmt.Sprint prints a float64 (`0.005`, `125000`, `1e+06`, `+Inf`);
 *   `le` is no tag;
 * - a summary likewise, with one field per quantile.
 */
import { readFileSync } from 'node:fs';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { parse as parseToml } from 'smol-toml';
import type { HostOpsStatus } from '../../src/host/index.js';
import { HostMetrics, PollerMetrics, type WriterFigures } from '../../src/metrics/index.js';
import { hostPathOf, service, type Compose, type WrittenModel } from './deploy-files.js';

export interface TelegrafConf {
  agent?: { interval?: string; hostname?: string; omit_hostname?: boolean };
  outputs?: { influxdb?: Array<{ urls?: string[]; database?: string }> };
  inputs?: Record<string, Array<{ urls?: string[]; metric_version?: number }>>;
}

export function loadTelegrafConf(compose: Compose): TelegrafConf {
  const file = hostPathOf(compose, service(compose, 'telegraf'), '/etc/telegraf/telegraf.conf');
  if (file === undefined) throw new Error('telegraf.conf is not mounted');
  return parseToml(readFileSync(file, 'utf8'));
}

/**
 * A float64 as Go's `fmt.Sprint` prints it (`%v`, i.e. strconv's shortest `'g'`): plain
 * decimals for exponents -4..5, `d.ddde±XX` otherwise, `+Inf`/`-Inf`/`NaN`.
 */
export function goFloat(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  // Both JavaScript and Go print the shortest digits that read back as the same float64.
  const [mantissa, expText] = x.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  const digits = mantissa.replace('-', '').replace('.', '');
  const sign = x < 0 ? '-' : '';
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const whole = digits.padEnd(exp + 1, '0');
  const frac = digits.slice(exp + 1);
  return `${sign}${whole.slice(0, exp + 1)}${frac === '' ? '' : `.${frac}`}`;
}

export interface TelegrafPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number>;
}

type Metric = MetricObjectWithValues<MetricValue<string>>;

function labelsOf(v: MetricValue<string>, drop: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(v.labels)
      .filter(([k]) => k !== drop)
      .map(([k, x]) => [k, String(x)]),
  );
}

/** The points Telegraf's prometheus input (metric_version 1) makes of one scrape. */
export function telegrafV1(metrics: readonly Metric[], extraTags: Readonly<Record<string, string>>): TelegrafPoint[] {
  const out: TelegrafPoint[] = [];
  for (const m of metrics) {
    const type = String(m.type);
    if (type === 'histogram' || type === 'summary') {
      const bound = type === 'histogram' ? 'le' : 'quantile';
      const byLabels = new Map<string, TelegrafPoint>();
      for (const v of m.values) {
        const tags = { ...labelsOf(v, bound), ...extraTags };
        const key = JSON.stringify(Object.entries(tags).sort());
        const p = byLabels.get(key) ?? { measurement: m.name, tags, fields: {} };
        byLabels.set(key, p);
        // prom-client names each sample of a histogram: <name>_bucket, _sum, _count.
        const suffix = (v as { metricName?: string }).metricName?.slice(m.name.length) ?? '';
        if (suffix === '_sum') p.fields['sum'] = v.value;
        else if (suffix === '_count') p.fields['count'] = v.value;
        else {
          const at = v.labels[bound];
          // Telegraf reads the bound from the text format, where prom-client prints `+Inf`.
          if (at !== undefined && !Number.isNaN(v.value))
            p.fields[goFloat(at === '+Inf' ? Infinity : Number(at))] = v.value;
        }
      }
      out.push(...byLabels.values());
      continue;
    }
    const field = type === 'counter' ? 'counter' : type === 'gauge' ? 'gauge' : 'value';
    for (const v of m.values) {
      // Telegraf drops a NaN sample, and a point without fields with it.
      if (Number.isNaN(v.value)) continue;
      out.push({ measurement: m.name, tags: { ...labelsOf(v, ''), ...extraTags }, fields: { [field]: v.value } });
    }
  }
  return out;
}

/** Measurements, fields and tags of a set of points, as the dashboard checks read them. */
export function modelOf(
  points: readonly TelegrafPoint[],
  writer: string,
  into: WrittenModel = new Map(),
): WrittenModel {
  for (const p of points) {
    const m = into.get(p.measurement) ?? {
      fields: new Set<string>(),
      tags: new Set<string>(),
      writers: new Set<string>(),
    };
    for (const f of Object.keys(p.fields)) m.fields.add(f);
    for (const t of Object.keys(p.tags)) m.tags.add(t);
    m.writers.add(writer);
    into.set(p.measurement, m);
  }
  return into;
}

const escTag = (s: string): string => s.replace(/[,= ]/g, (c) => `\\${c}`);
const escKey = (s: string): string => s.replace(/[, ]/g, (c) => `\\${c}`);

/** One point as InfluxDB line protocol (float fields), at `timeNs`. */
export function lineOf(p: TelegrafPoint, timeNs: bigint): string {
  const tags = Object.entries(p.tags)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `,${escTag(k)}=${escTag(v)}`)
    .join('');
  const fields = Object.entries(p.fields)
    .map(([k, v]) => `${escTag(k)}=${Number.isFinite(v) ? v : 0}`)
    .join(',');
  return `${escKey(p.measurement)}${tags} ${fields} ${timeNs}`;
}

/** A scrape target of inputs.prometheus: its URL and the kudf command of the service behind it. */
export interface ScrapeTarget {
  url: string;
  command: 'serve' | 'poll';
}

/** The prometheus input's URLs, each with the kudf command of the compose service it names. */
export function scrapeTargets(compose: Compose, conf: TelegrafConf): ScrapeTarget[] {
  return (conf.inputs?.['prometheus'] ?? []).flatMap((input) =>
    (input.urls ?? []).map((url) => {
      const svc = compose.services.get(new URL(url).hostname);
      const command = svc?.command?.[0];
      if (command !== 'serve' && command !== 'poll') throw new Error(`${url}: not a kudf serve or kudf poll service`);
      return { url, command };
    }),
  );
}

/**
 * The host and the poller of the sandbox, with their metrics driven through the same methods
 * the running processes call. Each `step()` is one Telegraf interval of activity: every kind of
 * event happens at some step, so every metric has series and every histogram has buckets.
 */
export class SandboxMetrics {
  readonly host: HostMetrics;
  readonly poller: PollerMetrics;
  private ready = false;
  private bytesInFlight = 0;
  private readonly writer: WriterFigures = {
    accepted: 0,
    written: 0,
    queued: 0,
    queuedBytes: 0,
    oldestQueuedSeconds: 0,
    dropped: 0,
    deadLettered: 0,
    invalid: 0,
    requests: 0,
    retries: 0,
  };
  private steps = 0;
  /** Keepalives observed so far, for checks on the keepalive panels. */
  keepalives = 0;

  constructor(
    readonly functions: readonly string[],
    readonly routers: readonly string[],
  ) {
    this.host = new HostMetrics(functions, () => this.status());
    this.poller = new PollerMetrics(routers, () => ({ ...this.writer }));
  }

  private status(): HostOpsStatus {
    return {
      ready: this.ready,
      functions: this.functions.map((name) => ({ name, socket: `/var/run/kudf/${name}.sock` })),
      sessions: this.functions.map((f, i) => ({
        connection: i,
        function: f,
        taskID: `task-${i}`,
        nodeID: `node-${i}`,
        worker: String(i % 2),
        openedAt: new Date(0).toISOString(),
        bytesInFlight: this.bytesInFlight,
        requests: 0,
        pointsIn: 0,
        pointsOut: 0,
        batchesIn: 0,
        batchesOut: 0,
      })),
      workers: [],
    };
  }

  step(): void {
    const i = this.steps++;
    const h = this.host;
    this.ready = i > 0;
    this.bytesInFlight = 512 * (i % 5);
    for (const f of this.functions) {
      if (i === 0) {
        h.connectionOpened(f);
        h.sessionStarted(f);
      }
      h.counted(f, { requests: 3 + i, pointsIn: 20 + i, pointsOut: 10 + i, batchesIn: i % 2, batchesOut: i % 2 });
      // Keepalives from 0.2 ms to 3 s, so every bucket, +Inf included, fills at some step.
      for (const s of [
        0.0002,
        0.0007,
        0.003,
        0.02 * (1 + (i % 5)),
        i % 7 === 3 ? 0.3 : 0.0004,
        i % 11 === 5 ? 3 : 0.0009,
      ]) {
        h.keepalive(f, s);
        this.keepalives++;
      }
      h.snapshot(f, 300 * (1 + (i % 4)) * (i % 9 === 4 ? 20_000 : 1), 0.0003 * (1 + (i % 3)));
      if (i === 3) {
        h.errorResponse(f, 'function');
        h.connectionEnded(f, 'error');
      }
      if (i === 4) h.initFailed(f);
    }
    if (i === 5) h.workerReplaced(0, 'worker crashed');
    h.workerLag(0, { meanMs: 1, p99Ms: 2 + (i % 3), maxMs: 5 + i });
    h.workerLag(1, { meanMs: 1, p99Ms: 1, maxMs: 3 });
    if (i === 5) h.taskRecoveryFailures.inc();
    if (i === 6) h.tasksRecovered.inc();

    const w = this.writer;
    for (const router of this.routers) {
      const failed = i % 4 === 2;
      this.poller.poll({
        router,
        errorClass: failed ? 'connect' : 'none',
        durationMs: failed ? 10_000 : 300 + 40 * i,
        points: failed ? 0 : 12,
      });
      if (!failed) w.accepted += 13;
    }
    w.requests += 1;
    w.written = Math.max(0, w.accepted - 13);
    w.queued = w.accepted - w.written;
    w.queuedBytes = 90 * w.queued;
    w.oldestQueuedSeconds = w.queued > 0 ? 4 : 0;
    if (i % 6 === 5) w.retries += 1;
    if (i === 7) w.dropped += 2;
    if (i === 8) w.deadLettered += 1;
    if (i === 9) w.invalid += 1;
  }

  /** What Telegraf writes from one scrape of every target. */
  async scrape(targets: readonly ScrapeTarget[], hostTag: string): Promise<TelegrafPoint[]> {
    const out: TelegrafPoint[] = [];
    for (const t of targets) {
      const registry = t.command === 'serve' ? this.host.registry : this.poller.registry;
      out.push(...telegrafV1(await registry.getMetricsAsJSON(), { url: t.url, host: hostTag }));
    }
    return out;
  }
}
