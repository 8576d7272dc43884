/**
 * Codec micro-benchmark: a typical stream point (3 tags, 2 fields) decoded and encoded,
 * in points per second. Figures only; no assertions.
 */
import {
  decodeRequest,
  encodeRequest,
  encodeResponse,
  FrameDecoder,
  FrameWriter,
  type Fields,
  type Point,
} from '../src/protocol/index.js';

function typicalPoint(i: number): Point {
  const tags = Object.create(null) as Record<string, string>;
  tags['host'] = 'router1';
  tags['region'] = 'eu-west';
  tags['line'] = 'adsl0';
  const fields = Object.create(null) as Fields;
  fields['snr'] = 6.5 + (i % 10) / 10;
  fields['errors'] = BigInt(i % 1000);
  return {
    time: 1514979051065000000n + BigInt(i),
    name: 'adsl_connection',
    database: 'telegraf',
    retentionPolicy: 'autogen',
    group: 'host=router1',
    dimensions: ['host'],
    tags,
    fields,
    byName: false,
  };
}

/** Runs `fn(n)` repeatedly for about `ms` milliseconds; returns operations per second. */
function rate(ms: number, batch: number, fn: (batch: number) => void): number {
  fn(batch); // warm-up
  const start = process.hrtime.bigint();
  let ops = 0;
  let elapsed = 0;
  while (elapsed < ms) {
    fn(batch);
    ops += batch;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return Math.round((ops / elapsed) * 1000);
}

export async function benchCodec(): Promise<Record<string, number>> {
  const points = Array.from({ length: 1024 }, (_, i) => typicalPoint(i));
  const bodies = points.map((point) => encodeRequest({ kind: 'point', point }));
  const stream = new FrameWriter();
  for (const point of points) stream.writeRequest({ kind: 'point', point });
  const framed = stream.take();
  let sink = 0;

  const decodePointsPerSec = rate(1000, bodies.length, () => {
    for (const body of bodies) {
      const r = decodeRequest(body);
      if (r.kind === 'point') sink += r.point.dimensions.length;
    }
  });

  const frameAndDecodePointsPerSec = rate(1000, points.length, () => {
    const decoder = new FrameDecoder();
    // 64 KiB chunks, as a socket delivers them.
    for (let at = 0; at < framed.length; at += 65536) {
      for (const body of decoder.push(framed.subarray(at, at + 65536))) {
        if (decodeRequest(body).kind === 'point') sink++;
      }
    }
  });

  const encodePointsPerSec = rate(1000, points.length, () => {
    for (const point of points) sink += encodeResponse({ kind: 'point', point }).length;
  });

  const writer = new FrameWriter();
  const frameWriterPointsPerSec = rate(1000, points.length, () => {
    for (const point of points) writer.writeResponse({ kind: 'point', point });
    sink += writer.take().length;
  });

  if (sink === -1) console.log(sink);
  return {
    decodePointsPerSec,
    frameAndDecodePointsPerSec,
    encodePointsPerSec,
    frameWriterPointsPerSec,
    pointBodyBytes: bodies[0]?.length ?? 0,
  };
}
