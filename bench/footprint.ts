/**
 * The host's idle footprint: `kudf serve` started, ready, and left alone, as most hosts are most
 * of the time (a Kapacitor with no UDF task enabled yet, or between deployments). Its resident
 * memory (VmRSS of /proc/<pid>/status) is what the machine pays for the host being there.
 */
import { readFileSync } from 'node:fs';
import { KapacitorClient, probeInfo } from '../src/probe/index.js';
import { ServerProcess, procStatusBytes } from './children.js';

/** How often RSS is sampled while waiting for the host to come to rest. */
const SAMPLE_MS = 500;
/** Never read before this long after the ready line: V8 is still compiling and collecting. */
const SETTLE_MS = 4000;
/** At rest: this many samples in a row lie within {@link REST_SPREAD_BYTES} of each other. */
const REST_SAMPLES = 4;
const REST_SPREAD_BYTES = 256 * 1024;
/** A host that never comes to rest is read after this long, and says so. */
const REST_GIVE_UP_MS = 20_000;

export interface FootprintResult {
  /** The `kudf serve` flags beyond the socket directory (`--threads` left out means the default). */
  args: string[];
  /** VmRSS at rest after start-up: the median of the last samples, which agree. */
  restRssBytes: number;
  /** False when RSS kept moving until {@link REST_GIVE_UP_MS}. */
  settled: boolean;
  /** Milliseconds from the ready line to rest. */
  restAfterMs: number;
  threadsAtRest: number;
  /** Info-only connections made after the first rest, as Kapacitor's start-up and health probes make. */
  infoConnections: number;
  /** VmRSS at rest again after those connections have come and gone (they start no worker). */
  afterInfoRssBytes: number;
  threadsAfterInfo: number;
  /** VmRSS at rest again after one task connection (Init, then closed), which starts the workers. */
  afterTaskRssBytes: number;
  threadsAfterTask: number;
}

/** As many Info connections as a Kapacitor start-up with every built-in function configured makes, and more. */
const INFO_CONNECTIONS = 20;

function threadCount(pid: number): number {
  try {
    return Number(/Threads:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Samples VmRSS until it holds still; the median of the agreeing samples. */
async function restingRss(pid: number): Promise<{ bytes: number; settled: boolean; afterMs: number }> {
  const started = Date.now();
  const samples: number[] = [];
  for (;;) {
    await sleep(SAMPLE_MS);
    samples.push(procStatusBytes(pid, 'VmRSS'));
    const last = samples.slice(-REST_SAMPLES);
    const elapsed = Date.now() - started;
    const still = last.length === REST_SAMPLES && Math.max(...last) - Math.min(...last) <= REST_SPREAD_BYTES;
    if ((still && elapsed >= SETTLE_MS) || elapsed >= REST_GIVE_UP_MS) {
      const sorted = [...last].sort((a, b) => a - b);
      return { bytes: sorted[Math.floor(sorted.length / 2)] as number, settled: still, afterMs: elapsed };
    }
  }
}

/** Starts `kudf serve` with `threads` ('default': no --threads flag), and measures it at rest. */
export async function measureFootprint(threads: number | 'default'): Promise<FootprintResult> {
  const proc = await ServerProcess.host({ threads });
  try {
    const rest = await restingRss(proc.pid);
    const threadsAtRest = threadCount(proc.pid);
    for (let i = 0; i < INFO_CONNECTIONS; i++) await probeInfo({ socket: proc.socket('mirror') }, 10_000);
    const afterInfo = await restingRss(proc.pid);
    const threadsAfterInfo = threadCount(proc.pid);
    const task = await KapacitorClient.connectSocket(proc.socket('mirror'), { timeoutMs: 10_000 });
    await task.init([]);
    await task.close();
    const afterTask = await restingRss(proc.pid);
    return {
      args: threads === 'default' ? [] : ['--threads', String(threads)],
      restRssBytes: rest.bytes,
      settled: rest.settled,
      restAfterMs: rest.afterMs,
      threadsAtRest,
      infoConnections: INFO_CONNECTIONS,
      afterInfoRssBytes: afterInfo.bytes,
      threadsAfterInfo,
      afterTaskRssBytes: afterTask.bytes,
      threadsAfterTask: threadCount(proc.pid),
    };
  } finally {
    await proc.stop();
  }
}
