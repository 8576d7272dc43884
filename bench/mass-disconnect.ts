/**
 * A bystander task's keepalive round trips while 10,000 other task connections close at once
 * (Kapacitor restarted, or a network namespace torn down). The host must go on answering the
 * bystander within Kapacitor's patience; the figure to watch is the p99 during the close.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { FrameDecoder, decodeResponse, encodeFrame, encodeRequest } from '../src/protocol/index.js';
import { ServerProcess, procStatusBytes } from './children.js';
import { percentile } from './stats.js';

const CONNECTIONS = Number(process.env['BENCH_DISCONNECTS'] ?? 10_000);
const KEEPALIVE_EVERY_MS = 5;

const INIT = encodeFrame(encodeRequest({ kind: 'init', taskID: 'crowd', nodeID: 'mirror1', options: [] }));

/** Connects and sends Init; a full accept queue (EAGAIN) is waited out, as Kapacitor's retry would. */
async function open(path: string): Promise<Socket> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await openOnce(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN' || attempt > 50) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

function openOnce(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ path });
    s.once('connect', () => {
      s.on('error', () => undefined);
      s.write(INIT);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Sends a keepalive every few ms and records each round trip, in ms, with when it was sent. */
function bystander(
  path: string,
): Promise<{ socket: Socket; rtts: Array<{ at: number; ms: number }>; stop: () => void }> {
  return open(path).then((socket) => {
    const rtts: Array<{ at: number; ms: number }> = [];
    const sent = new Map<bigint, number>();
    const decoder = new FrameDecoder();
    let seq = 0n;
    socket.on('data', (chunk: Buffer) => {
      decoder.feed(chunk);
      let body: Uint8Array | undefined;
      while ((body = decoder.nextFrame()) !== undefined) {
        const r = decodeResponse(body);
        if (r.kind !== 'keepalive') continue;
        const t0 = sent.get(r.time);
        if (t0 === undefined) continue;
        sent.delete(r.time);
        rtts.push({ at: t0, ms: performance.now() - t0 });
      }
    });
    const timer = setInterval(() => {
      seq += 1n;
      sent.set(seq, performance.now());
      socket.write(encodeFrame(encodeRequest({ kind: 'keepalive', time: seq })));
    }, KEEPALIVE_EVERY_MS);
    return { socket, rtts, stop: () => clearInterval(timer) };
  });
}

export async function benchMassDisconnect(): Promise<Record<string, unknown>> {
  const host = await ServerProcess.host({
    extraArgs: ['--max-connections', String(CONNECTIONS + 100), '--init-timeout', '10m'],
  });
  try {
    const path = host.socket('mirror');
    const by = await bystander(path);
    const crowd: Socket[] = [];
    for (let i = 0; i < CONNECTIONS; i += 100)
      crowd.push(...(await Promise.all(Array.from({ length: Math.min(100, CONNECTIONS - i) }, () => open(path)))));
    await new Promise((r) => setTimeout(r, 1000));
    const rssOpen = procStatusBytes(host.pid, 'VmRSS');
    const closeAt = performance.now();
    for (const s of crowd) s.destroy();
    await new Promise((r) => setTimeout(r, 3000));
    by.stop();
    by.socket.destroy();
    // The second before the close, with every crowd connection open and idle.
    const before = by.rtts.filter((r) => r.at >= closeAt - 1000 && r.at < closeAt).map((r) => r.ms);
    const during = by.rtts.filter((r) => r.at >= closeAt && r.at < closeAt + 2000).map((r) => r.ms);
    return {
      connections: CONNECTIONS,
      keepaliveEveryMs: KEEPALIVE_EVERY_MS,
      bystanderBefore: {
        n: before.length,
        p50Ms: round(percentile(before, 50)),
        p99Ms: round(percentile(before, 99)),
        maxMs: round(Math.max(...before)),
      },
      bystanderDuringClose: {
        n: during.length,
        p50Ms: round(percentile(during, 50)),
        p99Ms: round(percentile(during, 99)),
        maxMs: round(Math.max(...during)),
      },
      hostRssWithCrowdMiB: round(rssOpen / 2 ** 20),
    };
  } finally {
    await host.stop();
  }
}

const round = (n: number): number => Math.round(n * 100) / 100;
