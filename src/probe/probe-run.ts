import type { LinePoint } from '../line-protocol/index.js';
import type { InitOption, Point, Request, Response } from '../protocol/index.js';
import { KapacitorClient, ProbeError, type ClientOptions } from './kapacitor-client.js';
import { toBatches, toStreamPoint, type Grouping, type KapacitorBatch } from './kapacitor-points.js';

export type ProbeTarget = { socket: string } | { prog: string; args: string[] };

export async function openClient(target: ProbeTarget, options: ClientOptions): Promise<KapacitorClient> {
  return 'socket' in target
    ? KapacitorClient.connectSocket(target.socket, options)
    : KapacitorClient.spawnProcess(target.prog, target.args, options);
}

/** Kapacitor's start-up Info exchange: its own connection, Info, close, wait for the UDF to close. */
export async function probeInfo(target: ProbeTarget, timeoutMs: number): Promise<Extract<Response, { kind: 'info' }>> {
  const client = await openClient(target, { timeoutMs });
  try {
    const info = await client.info();
    await client.close();
    return info;
  } catch (err) {
    client.destroy();
    throw err;
  }
}

export interface ProbeRunOptions {
  target: ProbeTarget;
  options: InitOption[];
  taskID: string;
  nodeID: string;
  points: readonly LinePoint[];
  grouping: Grouping;
  database: string;
  retentionPolicy: string;
  /** Frame the points as one batch per group, as a batch task does. */
  batch: boolean;
  restore?: Uint8Array;
  snapshot: boolean;
  timeoutMs: number;
  /** Points per write; Kapacitor itself writes one frame at a time. */
  chunk: number;
}

/** One returned item: a stream point, or a batch rebuilt as Kapacitor rebuilds it. */
export type ProbeOutput = { kind: 'point'; point: Point } | { kind: 'batch'; batch: KapacitorBatch };

export interface ProbeRunResult {
  init: Extract<Response, { kind: 'init' }>;
  restore?: Extract<Response, { kind: 'restore' }>;
  output: ProbeOutput[];
  snapshot?: Uint8Array;
  keepalivesAnswered: number;
}

/** Collects data responses into stream points and whole batches; a stray EndBatch is an error, as it is fatal to Kapacitor. */
class OutputCollector {
  readonly output: ProbeOutput[] = [];
  private open: { begin: Extract<Response, { kind: 'begin' }>['begin']; points: Point[] } | undefined;
  error: ProbeError | undefined;

  take(response: Extract<Response, { kind: 'point' | 'begin' | 'end' }>): void {
    if (response.kind === 'begin') {
      if (this.open !== undefined)
        this.error ??= new ProbeError('KUDF_PROBE_UNEXPECTED', 'BeginBatch inside an open batch');
      this.open = { begin: response.begin, points: [] };
    } else if (response.kind === 'point') {
      if (this.open !== undefined) this.open.points.push(response.point);
      else this.output.push({ kind: 'point', point: response.point });
    } else {
      if (this.open === undefined) {
        this.error ??= new ProbeError('KUDF_PROBE_UNEXPECTED', 'EndBatch without BeginBatch (Kapacitor would panic)');
        return;
      }
      this.output.push({
        kind: 'batch',
        batch: { begin: this.open.begin, points: this.open.points, end: response.end },
      });
      this.open = undefined;
    }
  }
}

/**
 * Runs one task against a UDF as Kapacitor would: Init, optional Restore, the points (stream or
 * batches) with keepalives running, optional Snapshot, then close and wait for every reply.
 */
export async function probeRun(run: ProbeRunOptions): Promise<ProbeRunResult> {
  const collector = new OutputCollector();
  const client = await openClient(run.target, { timeoutMs: run.timeoutMs, onData: (r) => collector.take(r) });
  try {
    client.startKeepalives();
    const init = await client.init(run.options, run.taskID, run.nodeID);
    if (!init.success) {
      await client.close();
      return { init, output: [], keepalivesAnswered: client.keepalivesAnswered };
    }
    const result: ProbeRunResult = { init, output: collector.output, keepalivesAnswered: 0 };
    if (run.restore !== undefined) {
      result.restore = await client.restore(run.restore);
      if (!result.restore.success) {
        await client.close();
        return result;
      }
    }
    const now = BigInt(Date.now()) * 1_000_000n;
    const points = run.points.map((p) =>
      toStreamPoint(p, { database: run.database, retentionPolicy: run.retentionPolicy, grouping: run.grouping }, now),
    );
    const requests: Request[] = [];
    if (run.batch) {
      for (const b of toBatches(points)) {
        requests.push(
          { kind: 'begin', begin: b.begin },
          ...b.points.map((point) => ({ kind: 'point' as const, point })),
          { kind: 'end', end: b.end },
        );
      }
    } else {
      for (const point of points) requests.push({ kind: 'point', point });
    }
    for (let i = 0; i < requests.length; i += run.chunk) {
      if (!client.sendMany(requests.slice(i, i + run.chunk))) await client.drained();
    }
    if (run.snapshot) result.snapshot = await client.snapshot();
    await client.close();
    if (collector.error !== undefined) throw collector.error;
    result.keepalivesAnswered = client.keepalivesAnswered;
    return result;
  } catch (err) {
    client.destroy();
    throw err;
  }
}

/** Returned items as line-protocol points: a batch's points take the batch's name (EndBatch.name), as Kapacitor rebuilds them. */
export function outputAsLines(output: readonly ProbeOutput[]): LinePoint[] {
  const lines: LinePoint[] = [];
  for (const item of output) {
    if (item.kind === 'point') {
      lines.push({
        measurement: item.point.name,
        tags: { ...item.point.tags },
        fields: { ...item.point.fields },
        time: item.point.time,
      });
    } else {
      for (const p of item.batch.points) {
        lines.push({ measurement: item.batch.end.name, tags: { ...p.tags }, fields: { ...p.fields }, time: p.time });
      }
    }
  }
  return lines;
}
