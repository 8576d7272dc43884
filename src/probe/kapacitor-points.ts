import type { LinePoint } from '../line-protocol/index.js';
import type { BeginBatch, EndBatch, Point, Tags } from '../protocol/index.js';

/** How a Kapacitor task groups its stream: tag names (`groupBy(...)`) and `byMeasurement()`. */
export interface Grouping {
  dimensions: string[];
  byName: boolean;
}

/**
 * Kapacitor's group ID: `k1=v1,k2=v2` over the sorted dimension names, prefixed with
 * `name\n` when grouping by measurement; empty when there is no grouping at all.
 */
export function groupId(name: string, tags: Tags, grouping: Grouping): string {
  const dims = [...grouping.dimensions].sort();
  const body = dims.map((d) => `${d}=${tags[d] ?? ''}`).join(',');
  if (grouping.byName) return dims.length === 0 ? name : `${name}\n${body}`;
  return body;
}

function nullProto<T>(record: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, record);
}

export interface StreamContext {
  database: string;
  retentionPolicy: string;
  grouping: Grouping;
}

/** A line-protocol point as Kapacitor streams it to a UDF. */
export function toStreamPoint(line: LinePoint, ctx: StreamContext, fallbackTime: bigint): Point {
  const tags = nullProto(line.tags);
  return {
    time: line.time ?? fallbackTime,
    name: line.measurement,
    database: ctx.database,
    retentionPolicy: ctx.retentionPolicy,
    group: groupId(line.measurement, tags, ctx.grouping),
    dimensions: [...ctx.grouping.dimensions].sort(),
    tags,
    fields: nullProto(line.fields),
    byName: ctx.grouping.byName,
  };
}

export interface KapacitorBatch {
  begin: BeginBatch;
  points: Point[];
  end: EndBatch;
}

/**
 * Frames stream points as Kapacitor's batch edge does: one batch per group (in order of first
 * appearance), BeginBatch carrying the group's tags, points carrying only time, group, tags
 * and fields, EndBatch with tmax = the latest point time.
 */
export function toBatches(points: readonly Point[]): KapacitorBatch[] {
  const groups = new Map<string, Point[]>();
  for (const p of points) {
    const list = groups.get(p.group) ?? [];
    list.push(p);
    groups.set(p.group, list);
  }
  const batches: KapacitorBatch[] = [];
  for (const [group, list] of groups) {
    const first = list[0] as Point;
    const groupTags = nullProto(Object.fromEntries(first.dimensions.map((d) => [d, first.tags[d] ?? ''])));
    const tmax = list.reduce((max, p) => (p.time > max ? p.time : max), first.time);
    batches.push({
      begin: { name: first.name, group, tags: groupTags, size: BigInt(list.length), byName: first.byName },
      points: list.map((p) => ({
        time: p.time,
        name: '',
        database: '',
        retentionPolicy: '',
        group,
        dimensions: [],
        tags: p.tags,
        fields: p.fields,
        byName: false,
      })),
      end: { name: first.name, group, tmax, tags: groupTags, byName: first.byName },
    });
  }
  return batches;
}

/** A returned point as line protocol data (measurement, tags, fields, time). */
export function toLinePoint(point: Point, measurement = point.name): LinePoint {
  return { measurement, tags: { ...point.tags }, fields: { ...point.fields }, time: point.time };
}
