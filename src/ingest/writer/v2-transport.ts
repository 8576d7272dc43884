import { inspect } from 'node:util';
/**
 * `/api/v2/write` through `@influxdata/influxdb-client` (InfluxDB 2.x, 3.x, 1.8+ and
 * VictoriaMetrics). The client's own retry buffer is switched off (`maxRetries: 0`): it
 * keeps data only in memory and drops the oldest lines when full, while our durable queue
 * keeps it on disk. Each request gets a fresh WriteApi, so no state from an earlier failure
 * (a known source of trouble with `flush()`) can leak into the next one.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { HttpError, InfluxDB, RequestTimedOutError, setLogger, type WriteApi } from '@influxdata/influxdb-client';
import type { Logger } from 'pino';
import type { V2Target, WriterTuning } from './influx-settings.js';
import { outcomeForStatus, type SendOutcome } from './outcome.js';
import { redactUrl } from './redact.js';
import { toPrecision, type WriteTransport } from './transport.js';

export interface V2TransportOptions {
  target: V2Target;
  tuning: WriterTuning;
  scrub: (text: string) => string;
  now: () => number;
  logger: Logger;
}

export class V2Transport implements WriteTransport {
  readonly description: string;
  private readonly influx: InfluxDB;
  private readonly agent: http.Agent;

  constructor(private readonly o: V2TransportOptions) {
    this.description = `InfluxDB v2 API ${redactUrl(o.target.url)} bucket=${o.target.bucket}`;
    routeClientLogs(o.logger, o.scrub);
    const tls = o.target.url.startsWith('https:');
    this.agent = tls
      ? new https.Agent({
          keepAlive: true,
          rejectUnauthorized: o.tuning.tlsRejectUnauthorized,
          ...(o.tuning.caFile !== undefined ? { ca: readFileSync(o.tuning.caFile) } : {}),
        })
      : new http.Agent({ keepAlive: true });
    this.influx = new InfluxDB({
      url: o.target.url,
      ...(o.target.token !== undefined ? { token: o.target.token } : {}),
      timeout: o.tuning.timeoutMs,
      transportOptions: { agent: this.agent, rejectUnauthorized: o.tuning.tlsRejectUnauthorized },
    });
  }

  async send(lines: readonly string[]): Promise<SendOutcome> {
    const p = this.o.tuning.precision;
    const api: WriteApi = this.influx.getWriteApi(this.o.target.org, this.o.target.bucket, p, {
      maxRetries: 0,
      // Larger than the batch, so that writeRecords never starts a request of its own
      // (whose rejection nobody would await); flush() sends everything in one request.
      batchSize: lines.length + 1,
      maxBatchBytes: Number.MAX_SAFE_INTEGER,
      flushInterval: 0,
      gzipThreshold: this.o.tuning.gzip ? 1000 : Number.MAX_SAFE_INTEGER,
    });
    try {
      api.writeRecords(lines.map((l) => toPrecision(l, p)));
      await api.flush();
      return { kind: 'ok' };
    } catch (err) {
      return this.interpret(err);
    } finally {
      api.dispose();
    }
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  private interpret(err: unknown): SendOutcome {
    if (err instanceof HttpError) {
      const ra = err.headers?.['retry-after'];
      const retryAfter = Array.isArray(ra) ? ra[0] : ra;
      return outcomeForStatus(err.statusCode, this.o.scrub(err.body ?? err.message), retryAfter, this.o.now());
    }
    if (err instanceof RequestTimedOutError)
      return { kind: 'retry', reason: `no answer within ${this.o.tuning.timeoutMs} ms` };
    const e = err as NodeJS.ErrnoException;
    return { kind: 'retry', reason: this.o.scrub(`${e.code ?? e.name ?? 'Error'}: ${e.message ?? String(err)}`) };
  }
}

/**
 * influxdb-client logs through one process-wide logger. Its write failures are reported by
 * our writer too (with the outcome), so they go to debug; anything else it says is a warning.
 */
function routeClientLogs(logger: Logger, scrub: (t: string) => string): void {
  const log = logger.child({ component: 'influxdb-client' });
  const describe = (e: unknown): string | undefined =>
    e instanceof Error ? scrub(e.message) : e === undefined ? undefined : scrub(typeof e === 'string' ? e : inspect(e));
  setLogger({
    error(message: string, error?: unknown) {
      const level = message.startsWith('Write to InfluxDB failed') ? 'debug' : 'error';
      log[level]({ err: describe(error) }, scrub(message));
    },
    warn(message: string, error?: unknown) {
      const level = message.startsWith('Write to InfluxDB failed') ? 'debug' : 'warn';
      log[level]({ err: describe(error) }, scrub(message));
    },
  });
}
