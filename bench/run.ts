/**
 * `npm run bench`: the host's throughput, keepalive latency and memory under a Kapacitor-side
 * load generator of our own, over real Unix sockets against `kudf serve` in a child process.
 *
 * Env: BENCH_RUNS (default 5), BENCH_POINTS (points per run, default 2000000), BENCH_SECONDS
 * (time cap per run, default 5), BENCH_THREADS (host worker threads, default 2),
 * BENCH_CASES (comma-separated case names or prefixes, e.g. `mirror,edgeDetect-1,echo`; names
 * given as arguments take its place),
 * BENCH_GROUPS (memory case, default 1000000), BENCH_WRITE_KIB (largest write of the load
 * generator, default 32).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ServerProcess, processTarget } from './children.js';
import { measureFootprint } from './footprint.js';
import {
  KAPACITOR_VARIANTS,
  KapacitorBench,
  kapacitordBuilt,
  type KapacitorRun,
  type KapacitorUdfMode,
} from './kapacitor.js';
import { KAPACITOR_VERSION } from '../test/helpers/index.js';
import { describeProvenance, provenance } from './machine.js';
import { measureSocketFloor, type SocketFloorResult } from './socket-floor.js';
import {
  DEFAULT_WRITE_BYTES,
  LoadConnection,
  WRITE_MODES,
  runLoad,
  type ConnectionResult,
  type LoadOptions,
  type LoadResult,
  type LoadTarget,
  type WriteMode,
} from './load-generator.js';
import { kilo, meanInterval, mib, ms, percentile, spread, type MeanInterval, type Spread } from './stats.js';
import {
  burnWorkload,
  echoWorkload,
  edgeDetectWorkload,
  mirrorWorkload,
  movingAverageWorkload,
  type Workload,
} from './workloads.js';

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got '${raw}'`);
  return n;
}

const RUNS = Math.max(1, envInt('BENCH_RUNS', 5));
const POINTS = envInt('BENCH_POINTS', 2_000_000);
const SECONDS = envInt('BENCH_SECONDS', 5);
const THREADS = envInt('BENCH_THREADS', 2);
const GROUPS = envInt('BENCH_GROUPS', 1_000_000);
const KEEPALIVE_MS = 10;
const WRITE_BYTES = envInt('BENCH_WRITE_KIB', DEFAULT_WRITE_BYTES / 1024) * 1024;
const ECHO_POINTS_FACTOR = 10;
const WRITES: readonly WriteMode[] = writeModes(process.env['BENCH_WRITES'] ?? 'both');

function writeModes(raw: string): readonly WriteMode[] {
  if (raw === 'both' || raw === '') return ['chunked', 'kapacitor'];
  if (raw === 'all') return WRITE_MODES;
  return raw.split(',').map((part) => {
    const mode = WRITE_MODES.find((m) => m === part.trim());
    if (mode === undefined)
      throw new Error(`BENCH_WRITES must be both, all, or a list of ${WRITE_MODES.join(', ')}; got '${raw}'`);
    return mode;
  });
}

/**
 * Case-name suffixes of Kapacitor's write pattern (two syscalls a frame): `-kw` from the
 * generator's writer thread, `-gw` from the Go client; chunked cases keep their plain names.
 */
const SUFFIX: Record<WriteMode, string> = { chunked: '', kapacitor: '-kw', go: '-gw' };
/** Cases to run: the command line's arguments (`run.js mirror-1 echo`), else BENCH_CASES, else all. */
const selected = (process.argv.length > 2 ? process.argv.slice(2).join(',') : (process.env['BENCH_CASES'] ?? ''))
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '');

/** One row of the final table; every case also prints its full JSON line. */
interface Row {
  case: string;
  conns: number | string;
  /** Host CPU seconds per million points processed (median of the runs). */
  cpu: string;
  sent: string;
  processed: string;
  returned: string;
  kaP50: string;
  /** p99 of each run: median (min–max), as the keepalive target is stated ("median of 5 runs"). */
  kaP99: string;
  /** p99 over every keepalive of every run together: the worst run weighs most. */
  kaP99Pooled: string;
  rss: string;
  note: string;
}

const rows: Row[] = [];
let failures = 0;

function emit(json: Record<string, unknown>, row: Row): void {
  process.stdout.write(`${JSON.stringify(json)}\n`);
  rows.push(row);
}

const fmtSpread = (s: Spread): string =>
  RUNS > 1 && s.min !== s.max ? `${kilo(s.median)} (${kilo(s.min)}–${kilo(s.max)})` : kilo(s.median);
const roundSpread = (s: Spread): Spread => ({
  median: Math.round(s.median),
  min: Math.round(s.min),
  max: Math.round(s.max),
});

/**
 * Every host case starts with one run like the measured ones that is reported apart and left out
 * of the figures. A fresh host first runs unoptimised code at a fraction of its speed (its first
 * keepalives take 15-90 ms), and on 2 busy cores the optimising compiler and the young
 * generation's growth take a few seconds more to settle.
 */
const WARMUP_POINTS = POINTS;

interface Warmup {
  processedPerSec: number;
  keepaliveP99Ms: number;
  errors: string[];
}

async function warmUp(conns: number, options: Parameters<typeof runLoad>[1]): Promise<Warmup> {
  const r = await runLoad(conns, { ...options, maxPoints: Math.min(options.maxPoints, WARMUP_POINTS) });
  return {
    processedPerSec: Math.round(r.processedPerSec),
    keepaliveP99Ms: round2(percentile(r.keepaliveMs, 99)),
    errors: r.errors,
  };
}

/**
 * One Kapacitor task writes each frame with two syscalls (length, then body), which caps it near
 * 220k points/s: the paced cases run 4 connections at that ceiling, the heaviest load real tasks
 * can put on the host, where the saturating cases push more than any task can.
 */
const KAPACITOR_TASK_POINTS_PER_SEC = 220_000;

/**
 * A client's socket gets the kernel's default send buffer (Kapacitor sets none), and a client
 * that sends faster than the host processes keeps it full: a keepalive then waits behind about
 * that many bytes before the host can read it, whatever the host does. Reported next to the
 * keepalive figures so a saturating case's p50 can be read against that floor.
 */
function clientSendBufferBytes(): number {
  try {
    const bytes = Number(readFileSync('/proc/sys/net/core/wmem_default', 'utf8').trim());
    if (Number.isFinite(bytes) && bytes > 0) return bytes;
  } catch {
    // Not Linux: fall through to Linux's usual default.
  }
  return 212_992;
}

/** How long one connection takes to drain a full client send buffer at the measured rate. */
function sendBufferDrainMs(workload: Workload, conns: number, processedPerSec: number): number {
  const bytesPerPoint = workload.chunk.length / workload.pointsPerChunk;
  return (clientSendBufferBytes() / ((processedPerSec / conns) * bytesPerPoint)) * 1000;
}

/** Median CPU seconds per million points over the runs, or NaN without samples. */
const cpuPerMillion = (cpuSeconds: number[], points: number[]): number =>
  spread(cpuSeconds.map((c, i) => (c / (points[i] as number)) * 1e6).filter(Number.isFinite)).median;

const fmtCpu = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '-');

/**
 * Socket mode: one server process, every connection to its socket. Process mode: one process
 * per connection, started by the generator as Kapacitor's `prog` starts one per task, spoken to
 * over pipes; the server's CPU is then the sum of those processes', from the first point
 * written to the last one back.
 */
type Transport = 'socket' | 'process';

async function throughputCase(
  name: string,
  makeWorkload: () => Workload,
  conns: number,
  server: 'host' | 'echo',
  writes: WriteMode,
  transport: Transport,
  pointsPerSec?: number,
): Promise<void> {
  const workload = makeWorkload();
  const proc =
    transport === 'process'
      ? undefined
      : server === 'echo'
        ? await ServerProcess.echo()
        : await ServerProcess.host({ threads: THREADS });
  const runs: LoadResult[] = [];
  // CPU seconds of the server (every thread) and of the generator (every thread) per run.
  const serverCpu: number[] = [];
  const generatorCpu: number[] = [];
  let peakRss = 0;
  let warmup: Warmup | undefined;
  try {
    const target: LoadTarget =
      proc === undefined ? { process: processTarget(workload.udf) } : { socketPath: proc.socket(workload.udf) };
    const load: LoadOptions = {
      ...target,
      workload,
      // The echo server is an order of magnitude faster: more points keep its runs from being too short to be stable.
      maxPoints: server === 'echo' ? POINTS * ECHO_POINTS_FACTOR : POINTS,
      maxSeconds: SECONDS,
      keepaliveMs: KEEPALIVE_MS,
      writeBytes: WRITE_BYTES,
      writes,
      ...(pointsPerSec !== undefined ? { pointsPerSec } : {}),
      onTick: () => proc?.sampleRss(),
    };
    warmup = await warmUp(conns, load);
    for (let i = 0; i < RUNS; i++) {
      const cpuBefore = proc?.cpuSeconds() ?? 0;
      const ownBefore = process.cpuUsage();
      const result = await runLoad(conns, load);
      const own = process.cpuUsage(ownBefore);
      serverCpu.push(proc === undefined ? (result.peerCpuSeconds ?? Number.NaN) : proc.cpuSeconds() - cpuBefore);
      generatorCpu.push((own.user + own.system) / 1e6 + (result.clientCpuSeconds ?? 0));
      runs.push(result);
      if (result.errors.length > 0) process.stderr.write(`${name} run ${i + 1}: ${result.errors.join('; ')}\n`);
    }
  } finally {
    if (proc !== undefined) {
      peakRss = proc.vmHwm;
      await proc.stop();
    }
  }
  const okIndex = runs.flatMap((r, i) => (r.errors.length === 0 ? [i] : []));
  const ok = okIndex.map((i) => runs[i] as LoadResult);
  if (ok.length < runs.length) failures++;
  const okPoints = ok.map((r) => r.sentPoints);
  const hostCpu = cpuPerMillion(
    okIndex.map((i) => serverCpu[i] as number),
    okPoints,
  );
  const ownCpu = cpuPerMillion(
    okIndex.map((i) => generatorCpu[i] as number),
    okPoints,
  );
  const keepalives = ok.flatMap((r) => r.keepaliveMs);
  const sent = spread(ok.map((r) => r.sentPerSec));
  const processed = spread(ok.map((r) => r.processedPerSec));
  const returned = spread(ok.map((r) => r.returnedPerSec));
  const p50 = percentile(keepalives, 50);
  const p99 = percentile(keepalives, 99);
  const p99PerRun = spread(ok.map((r) => percentile(r.keepaliveMs, 99)));
  // Process mode: each run's fresh processes left out for their first fifth (see steadyFigures).
  const steady = transport === 'process' ? steadyFigures(ok) : undefined;
  // Only a saturating client keeps its send buffer full; a paced one leaves it nearly empty.
  // A pipe holds 64 KiB, not a socket's send buffer: the figure is for sockets only.
  const drainMs =
    pointsPerSec === undefined && transport === 'socket'
      ? sendBufferDrainMs(workload, conns, processed.median)
      : undefined;
  emit(
    {
      case: name,
      function: workload.udf,
      connections: conns,
      writes,
      transport,
      serverCpuSecondsPerMillionPoints: round2(hostCpu),
      ...(steady !== undefined
        ? {
            afterFirstFifth: {
              serverCpuSecondsPerMillionPoints: round2(steady.cpuPerMillion),
              keepaliveP99PerRunMs: {
                median: round2(steady.p99PerRun.median),
                min: round2(steady.p99PerRun.min),
                max: round2(steady.p99PerRun.max),
              },
            },
          }
        : {}),
      generatorCpuSecondsPerMillionPoints: round2(ownCpu),
      // Process mode: what a hold gathers, as frames sent per read of the children (median of the runs).
      ...(transport === 'process'
        ? { framesPerRead: round2(spread(ok.map((r) => r.sentPoints / (r.peerReads ?? Number.NaN))).median) }
        : {}),
      loadAverage: loadavg().map(round2),
      ...(pointsPerSec !== undefined ? { pacedPointsPerSecPerConnection: pointsPerSec } : {}),
      runs: runs.length,
      validRuns: ok.length,
      pointsPerRun: spread(runs.map((r) => r.sentPoints)).median,
      sentPerSec: roundSpread(sent),
      processedPerSec: roundSpread(processed),
      returnedPerSec: roundSpread(returned),
      keepalive: {
        count: keepalives.length,
        p50Ms: round2(p50),
        p99Ms: round2(p99),
        p99PerRunMs: { median: round2(p99PerRun.median), min: round2(p99PerRun.min), max: round2(p99PerRun.max) },
        maxMs: round2(Math.max(...keepalives)),
        ...(drainMs !== undefined ? { sendBufferDrainMs: round2(drainMs) } : {}),
      },
      peakRssBytes: peakRss,
      warmup,
      errors: runs.flatMap((r) => r.errors),
    },
    {
      case: name,
      conns: pointsPerSec !== undefined ? `${conns}×${kilo(pointsPerSec)}/s` : conns,
      cpu: fmtCpu(hostCpu),
      sent: fmtSpread(sent),
      processed: fmtSpread(processed),
      returned: fmtSpread(returned),
      kaP50: ms(p50),
      kaP99: RUNS > 1 ? `${ms(p99PerRun.median)} (${ms(p99PerRun.min)}–${ms(p99PerRun.max)})` : ms(p99PerRun.median),
      kaP99Pooled: ms(p99),
      rss: proc === undefined ? '-' : mib(peakRss),
      note: [
        transport === 'process' ? `a process a connection, over pipes` : '',
        steady !== undefined
          ? `after each process's first fifth: CPU ${fmtCpu(steady.cpuPerMillion)}, ka p99 ${ms(steady.p99PerRun.median)} ms`
          : '',
        drainMs !== undefined ? `send buffer drains in ${ms(drainMs)} ms` : '',
        warmup !== undefined ? `warm-up ${kilo(warmup.processedPerSec)}/s, ka p99 ${ms(warmup.keepaliveP99Ms)} ms` : '',
        ok.length < runs.length ? `${runs.length - ok.length} run(s) invalid` : '',
      ]
        .filter((s) => s !== '')
        .join('; '),
    },
  );
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

/**
 * Process mode's figures without each fresh process's first fifth: the host CPU a point (median
 * over the runs) and the keepalive p99 per run. A Kapacitor task's process warms up once when the
 * task starts and then serves it for as long as it runs, while the socket host is warmed up by a
 * run of its own before the measured ones; this is the figure that compares with it.
 */
function steadyFigures(runs: readonly LoadResult[]): { cpuPerMillion: number; p99PerRun: Spread } {
  const cpu = runs.flatMap((r) =>
    r.peerSteady !== undefined ? [(r.peerSteady.cpuSeconds / r.peerSteady.points) * 1e6] : [],
  );
  const p99s = runs.map((r) =>
    percentile(
      r.connections.flatMap((c) => c.keepaliveMs.slice(Math.floor(c.keepaliveMs.length / 5))),
      99,
    ),
  );
  return { cpuPerMillion: spread(cpu).median, p99PerRun: spread(p99s) };
}

/**
 * Keepalive round trips on a mirror connection while a `burn` connection keeps the other worker
 * busy (2 ms of CPU per point, 20 points in flight). `load`: the mirror connection also runs at
 * full speed; otherwise it sends only keepalives.
 */
async function burnNeighbourCase(name: string, load: boolean, writes: WriteMode): Promise<void> {
  const proc = await ServerProcess.host({ threads: THREADS, testUdfs: true });
  let burn: ConnectionResult | undefined;
  let mirror: ConnectionResult | undefined;
  let placement = '';
  let peakRss = 0;
  let warmup: Warmup | undefined;
  try {
    // One mirror connection per worker, so that whichever worker the measured one lands on is warm.
    warmup = await warmUp(THREADS, {
      socketPath: proc.socket('mirror'),
      workload: mirrorWorkload(),
      maxPoints: WARMUP_POINTS,
      maxSeconds: SECONDS,
      keepaliveMs: KEEPALIVE_MS,
      writeBytes: WRITE_BYTES,
    });
    const logBefore = proc.log.length;
    const burner = await LoadConnection.open({
      socketPath: proc.socket('burn'),
      workload: burnWorkload(2),
      maxPoints: 1e12,
      maxSeconds: SECONDS,
      keepaliveMs: KEEPALIVE_MS,
      window: 20,
      writeBytes: WRITE_BYTES,
      writes,
    });
    const mirrorWorkloadValue = mirrorWorkload();
    const probe = await LoadConnection.open({
      socketPath: proc.socket('mirror'),
      workload: mirrorWorkloadValue,
      maxPoints: load ? 1e12 : 0,
      maxSeconds: SECONDS,
      keepaliveMs: KEEPALIVE_MS,
      writeBytes: WRITE_BYTES,
      writes,
      onTick: () => proc.sampleRss(),
    });
    placement = threadsOf(proc.log.slice(logBefore));
    [burn, mirror] = await Promise.all([burner.run(), probe.run()]);
  } finally {
    peakRss = proc.vmHwm;
    await proc.stop();
  }
  const errors = [burn, mirror].flatMap((r) => (r?.error !== undefined ? [r.error] : []));
  if (errors.length > 0) failures++;
  const m = mirror;
  const b = burn;
  const mirrorRate = m.sentPoints / (m.doneMs / 1000);
  emit(
    {
      case: name,
      writes,
      mirror: {
        points: m.sentPoints,
        processedPerSec: Math.round(mirrorRate),
        keepalive: {
          count: m.keepaliveMs.length,
          p50Ms: round2(percentile(m.keepaliveMs, 50)),
          p99Ms: round2(percentile(m.keepaliveMs, 99)),
          maxMs: round2(Math.max(...m.keepaliveMs)),
        },
      },
      burn: {
        points: b.sentPoints,
        keepalive: { p50Ms: round2(percentile(b.keepaliveMs, 50)), p99Ms: round2(percentile(b.keepaliveMs, 99)) },
      },
      placement,
      peakRssBytes: peakRss,
      warmup,
      errors,
    },
    {
      case: name,
      conns: '1+1 burn',
      cpu: '-',
      sent: load ? kilo(m.sentPoints / (m.sendMs / 1000)) : '-',
      processed: load ? kilo(mirrorRate) : '-',
      returned: load ? kilo(m.returnedPoints / (m.returnMs / 1000)) : '-',
      kaP50: ms(percentile(m.keepaliveMs, 50)),
      kaP99: ms(percentile(m.keepaliveMs, 99)),
      kaP99Pooled: '-',
      rss: mib(peakRss),
      note: `burn conn's own ka p99 ${ms(percentile(b.keepaliveMs, 99))} ms; ${placement}${errors.length > 0 ? '; ERRORS' : ''}`,
    },
  );
}

/** Which worker thread each function's session landed on, from the host's 'session initialised' lines. */
function threadsOf(log: string): string {
  const seen: string[] = [];
  for (const line of log.split('\n')) {
    if (!line.includes('session initialised')) continue;
    try {
      const j = JSON.parse(line) as { udf?: string; thread?: number };
      seen.push(`${j.udf ?? '?'}@thread${j.thread ?? '?'}`);
    } catch {
      // a partial line
    }
  }
  return seen.join(' ');
}

/** A peer that writes points and never reads: the host must stop reading and stay bounded. */
async function noReadPeerCase(): Promise<void> {
  const proc = await ServerProcess.host({ threads: THREADS });
  const samples: number[] = [];
  let result: ConnectionResult | undefined;
  let baseline = 0;
  let peakRss = 0;
  try {
    baseline = proc.sampleRss();
    const conn = await LoadConnection.open({
      socketPath: proc.socket('mirror'),
      workload: mirrorWorkload(),
      maxPoints: 1e12,
      maxSeconds: Math.max(SECONDS, 3),
      keepaliveMs: 0,
      writeBytes: WRITE_BYTES,
      read: false,
      onTick: () => samples.push(proc.sampleRss()),
    });
    result = await conn.run();
  } finally {
    peakRss = proc.vmHwm;
    await proc.stop();
  }
  const r = result;
  const lastRss = samples[samples.length - 1] ?? 0;
  emit(
    {
      case: 'no-read-peer',
      bytesWrittenByPeer: r.sentBytes,
      pointsWrittenByPeer: r.sentPoints,
      baselineRssBytes: baseline,
      peakRssBytes: peakRss,
      lastRssBytes: lastRss,
      seconds: Math.round(r.sendMs / 100) / 10,
    },
    {
      case: 'no-read-peer',
      conns: 1,
      cpu: '-',
      sent: kilo(r.sentPoints) + ' total',
      processed: '-',
      returned: 'never read',
      kaP50: '-',
      kaP99: '-',
      kaP99Pooled: '-',
      rss: mib(peakRss),
      note: `peer wrote ${(r.sentBytes / 1024).toFixed(0)} KiB in ${(r.sendMs / 1000).toFixed(1)} s, then blocked; RSS ${mib(baseline)} idle → ${mib(lastRss)} at end`,
    },
  );
}

/** The idle-footprint target: host RSS at rest with the default workers. */
const IDLE_TARGET_MIB = 60;
const mib1 = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/**
 * `kudf serve` left alone after start-up, with the default --threads (one per core) and with
 * `--threads 0`: RSS at rest, at rest again after Info-only connections (which start no worker),
 * and after one task connection has started the workers.
 */
async function idleFootprintCase(name: string, threads: number | 'default'): Promise<void> {
  const r = await measureFootprint(threads);
  const met = r.restRssBytes <= IDLE_TARGET_MIB * 2 ** 20;
  emit(
    {
      case: name,
      args: r.args,
      loadAverage: loadavg().map(round2),
      restRssBytes: r.restRssBytes,
      restRssMiB: round2(r.restRssBytes / 2 ** 20),
      settled: r.settled,
      restAfterMs: r.restAfterMs,
      threadsAtRest: r.threadsAtRest,
      infoConnections: r.infoConnections,
      afterInfoRssBytes: r.afterInfoRssBytes,
      afterInfoRssMiB: round2(r.afterInfoRssBytes / 2 ** 20),
      threadsAfterInfo: r.threadsAfterInfo,
      afterTaskRssBytes: r.afterTaskRssBytes,
      afterTaskRssMiB: round2(r.afterTaskRssBytes / 2 ** 20),
      threadsAfterTask: r.threadsAfterTask,
      targetMiB: IDLE_TARGET_MIB,
      met,
    },
    {
      ...blankRow(
        name,
        `at rest ${mib1(r.restRssBytes)} (target ≤ ${IDLE_TARGET_MIB} MiB: ${met ? 'met' : 'NOT met'}), ${r.threadsAtRest} threads; after ${r.infoConnections} Info connections ${mib1(r.afterInfoRssBytes)}, ${r.threadsAfterInfo} threads; after one task ${mib1(r.afterTaskRssBytes)}, ${r.threadsAfterTask} threads${r.settled ? '' : '; RSS never held still'}`,
      ),
      conns: 0,
      rss: mib1(r.restRssBytes),
    },
  );
}

const KAPACITOR_POINTS = envInt('BENCH_KAPACITOR_POINTS', 200_000);
const KAPACITOR_PACED = 10_000;
const KAPACITOR_PACED_SECONDS = 5;

/**
 * A real Kapacitor in front of the host: every variant (no UDF, our functions, Kapacitor's
 * built-ins) with 1 and 8 tasks, as fast as Kapacitor takes the points and at 10k points/s per
 * task; the ratio of each function to its built-in. In process mode (`kapacitor-process`) only
 * our functions run, each task in a `kudf serve --stdio` that kapacitord starts. Skipped with a
 * note when kapacitord is not built (scripts/build-kapacitor.sh).
 */
async function kapacitorCase(mode: KapacitorUdfMode): Promise<void> {
  const label = mode === 'socket' ? 'kapacitor' : 'kapacitor-process';
  if (!kapacitordBuilt()) {
    process.stdout.write(
      `${label}: skipped, kapacitord ${KAPACITOR_VERSION} is not built (bash scripts/build-kapacitor.sh ${KAPACITOR_VERSION})\n`,
    );
    emit(
      { case: label, skipped: 'kapacitord is not built' },
      blankRow(label, `skipped: kapacitord ${KAPACITOR_VERSION} is not built`),
    );
    return;
  }
  const variants = KAPACITOR_VARIANTS.filter((v) => mode === 'socket' || v.node.startsWith('@'));
  const bench = await KapacitorBench.start(THREADS, mode);
  const rates: Array<number | undefined> = [undefined, KAPACITOR_PACED];
  const max = new Map<string, number>();
  try {
    for (const tasks of [1, 8]) {
      for (const paced of rates) {
        for (const variant of variants) {
          const perTask = paced === undefined ? Math.ceil(KAPACITOR_POINTS / tasks) : paced * KAPACITOR_PACED_SECONDS;
          const name = `${label} ${variant.name} ×${tasks}${paced === undefined ? '' : ` at ${kilo(paced)}/s each`}`;
          let r: KapacitorRun;
          try {
            r = await bench.run(variant, tasks, perTask, paced);
          } catch (err) {
            failures++;
            emit(
              { case: name, error: (err as Error).message },
              blankRow(name, `FAILED: ${(err as Error).message.split('\n')[0] ?? ''}`),
            );
            continue;
          }
          if (paced === undefined) max.set(`${variant.name}/${tasks}`, r.pointsPerSec);
          // The built-in runs after our function: the ratio is filled in on the built-in's row.
          const ours = KAPACITOR_VARIANTS.find((v) => v.builtin === variant.name);
          const udf = ours !== undefined ? max.get(`${ours.name}/${tasks}`) : undefined;
          const ratio = paced === undefined && udf !== undefined ? udf / r.pointsPerSec : undefined;
          emit(
            {
              case: name,
              ...r,
              hostCpuSecondsPerMillion: round2(r.hostCpuSecondsPerMillion),
              kapacitordCpuSecondsPerMillion: round2(r.kapacitordCpuSecondsPerMillion),
              pointsPerSec: Math.round(r.pointsPerSec),
              ...(ratio !== undefined ? { udfOverBuiltin: round2(ratio) } : {}),
              loadAverage: loadavg().map(round2),
            },
            {
              ...blankRow(
                name,
                `kapacitord ${fmtCpu(r.kapacitordCpuSecondsPerMillion)} CPU s/M points; ${r.pointsOut} out of ${r.pointsIn}${ratio !== undefined && ours !== undefined ? `; ${ours.name} / ${variant.name} = ${ratio.toFixed(2)}` : ''}`,
              ),
              conns: tasks,
              cpu: fmtCpu(r.hostCpuSecondsPerMillion),
              processed: kilo(r.pointsPerSec),
            },
          );
        }
      }
    }
  } finally {
    await bench.stop();
  }
}

async function edgeMemoryCase(): Promise<void> {
  const script = fileURLToPath(new URL('./edge-memory.js', import.meta.url));
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--max-old-space-size=4096', script, String(GROUPS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (text += t));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`edge-memory exited with ${code}`))));
  });
  const j = JSON.parse(out.trim()) as {
    bytesPerGroup: number;
    keyAndMapSlotBytes: number;
    edgeStateBytes: number;
    groups: number;
  };
  emit(
    { case: 'edgeDetect-memory', ...j },
    {
      case: 'edgeDetect-memory',
      conns: '-',
      cpu: '-',
      sent: `${kilo(j.groups)} groups`,
      processed: '-',
      returned: '-',
      kaP50: '-',
      kaP99: '-',
      kaP99Pooled: '-',
      rss: '-',
      note: `${j.bytesPerGroup} B/group (key+map slot ${j.keyAndMapSlotBytes}, edge state ${j.edgeStateBytes})`,
    },
  );
}

/**
 * The kernel's share of a frame under Kapacitor's writes, measured without Node.js: the floor
 * under the host's CPU a point in the `-kw` cases. Frames are the size of the mirror workload's.
 */
async function socketFloorCase(): Promise<void> {
  const w = mirrorWorkload();
  const frameBytes = Math.round(w.chunk.length / w.pointsPerChunk);
  const prefixBytes = frameBytes - 1 < 128 ? 1 : 2;
  let results: SocketFloorResult[];
  try {
    results = measureSocketFloor({ bodyBytes: frameBytes - prefixBytes });
  } catch (err) {
    const message = (err as Error).message.split('\n')[0] ?? '';
    emit({ case: 'socket-floor', skipped: message }, blankRow('socket-floor', `skipped: ${message} (needs Go)`));
    return;
  }
  for (const r of results) {
    const name = `socket-floor ${r.transport} ${r.writes === 'kapacitor' ? 'kw' : 'chunked'} ${r.framesPerRead}/read`;
    emit(
      { ...r, case: name },
      {
        ...blankRow(
          name,
          `reader ${r.readerCpuUsPerFrame} µs a frame in read(2), writer ${r.writerCpuUsPerFrame} µs; ${r.frameBytes} B frames, ${r.readsPerFrame} reads a frame`,
        ),
        cpu: r.readerCpuUsPerFrame.toFixed(2),
      },
    );
  }
}

/** The ingest-side benchmarks: bench/<file>.js exporting <fn>; reported as not available when the module is missing. */
async function externalCase(file: string, fn: string, name = `ingest-${file}`): Promise<void> {
  let mod: unknown;
  try {
    mod = await import(new URL(`./${file}.js`, import.meta.url).href);
  } catch (err) {
    const missing = (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
    emit(
      { case: name, available: false, reason: missing ? 'not available' : (err as Error).message },
      blankRow(name, missing ? 'not available' : `load failed: ${(err as Error).message}`),
    );
    return;
  }
  const f = typeof mod === 'object' && mod !== null ? (mod as Record<string, unknown>)[fn] : undefined;
  if (typeof f !== 'function') {
    emit(
      { case: name, available: false, reason: `no ${fn} export` },
      blankRow(name, `not available (no ${fn} export)`),
    );
    return;
  }
  try {
    const result: unknown = await (f as () => unknown)();
    const text = JSON.stringify(result, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    emit({ case: name, available: true, result: result ?? null }, blankRow(name, (text ?? 'done').slice(0, 120)));
  } catch (err) {
    failures++;
    emit(
      { case: name, available: true, error: (err as Error).message },
      blankRow(name, `failed: ${(err as Error).message}`),
    );
  }
}

const blankRow = (name: string, note: string): Row => ({
  case: name,
  conns: '-',
  cpu: '-',
  sent: '-',
  processed: '-',
  returned: '-',
  kaP50: '-',
  kaP99: '-',
  kaP99Pooled: '-',
  rss: '-',
  note,
});

/** One measured run of the metrics-overhead cases. */
interface OverheadRun {
  processedPerSec: number;
  /** Host CPU seconds (every thread) per million points processed. */
  cpuPerMillion: number;
}

/** Per-round change, in %, of `on` against `off`: the pair ran back to back on the same machine state. */
const pairedPct = (off: readonly number[], on: readonly number[]): number[] =>
  off.map((a, i) => (((on[i] as number) - a) / a) * 100);

const roundInterval = (m: MeanInterval): MeanInterval => ({ mean: round2(m.mean), ci95: round2(m.ci95) });

const roundSpread2 = (s: Spread): Spread => ({ median: round2(s.median), min: round2(s.min), max: round2(s.max) });
const fmtMean = (m: MeanInterval): string =>
  Number.isFinite(m.ci95) ? `${m.mean.toFixed(1)} ± ${m.ci95.toFixed(1)} %` : `${m.mean.toFixed(1)} %`;
const fmtPct = (s: Spread): string =>
  RUNS > 1 && s.min !== s.max
    ? `${s.median.toFixed(1)} % (${s.min.toFixed(1)}…${s.max.toFixed(1)})`
    : `${s.median.toFixed(1)} %`;

/**
 * The cost of the operations endpoints: two hosts, one with `--http` scraped once a second (as
 * Prometheus or Telegraf would, at a tenth of their usual interval), the same load run on each
 * in turn, RUNS rounds, the order alternating. Each run records processed/s and the host's CPU
 * per point; the cost is the change of each round's pair (on against off), median and min–max
 * over the rounds, so a drift of the shared machine between rounds stays out of it. Scrapes are
 * sent only while the metered host is under load, so they do not take CPU from the plain host's
 * runs.
 */
async function metricsOverheadCase(name: string, makeWorkload: () => Workload, writes: WriteMode): Promise<void> {
  const workload = makeWorkload();
  const plain = await ServerProcess.host({ threads: THREADS });
  const metered = await ServerProcess.host({ threads: THREADS, extraArgs: ['--http', '127.0.0.1:0'] });
  const scrapes = { count: 0, bytes: 0, failed: 0 };
  const url = metered.opsUrl;
  let scraping = false;
  const scraper = setInterval(() => {
    if (url === undefined || !scraping) return;
    void fetch(`${url}/metrics`).then(
      async (r) => {
        scrapes.count++;
        scrapes.bytes += (await r.text()).length;
      },
      () => scrapes.failed++,
    );
  }, 1000);
  const off: OverheadRun[] = [];
  const on: OverheadRun[] = [];
  try {
    if (url === undefined) throw new Error('the metered host logged no endpoint URL');
    const load = (proc: ServerProcess): Parameters<typeof runLoad>[1] => ({
      socketPath: proc.socket(workload.udf),
      workload,
      maxPoints: POINTS,
      maxSeconds: SECONDS,
      keepaliveMs: KEEPALIVE_MS,
      writeBytes: WRITE_BYTES,
      writes,
    });
    // One connection per worker, so that whichever worker a measured run lands on is warm.
    await warmUp(THREADS, load(plain));
    scraping = true;
    await warmUp(THREADS, load(metered));
    scraping = false;
    for (let i = 0; i < RUNS; i++) {
      // Alternate which goes first, so a drift of the machine weighs on both alike.
      const order = i % 2 === 0 ? [plain, metered] : [metered, plain];
      for (const proc of order) {
        scraping = proc === metered;
        const cpuBefore = proc.cpuSeconds();
        const r = await runLoad(1, load(proc));
        const cpu = proc.cpuSeconds() - cpuBefore;
        scraping = false;
        if (r.errors.length > 0) throw new Error(`${name}: ${r.errors.join('; ')}`);
        (proc === plain ? off : on).push({
          processedPerSec: r.processedPerSec,
          cpuPerMillion: (cpu / r.sentPoints) * 1e6,
        });
      }
    }
  } finally {
    clearInterval(scraper);
    await plain.stop();
    await metered.stop();
  }
  const rate = (runs: OverheadRun[]): number[] => runs.map((r) => r.processedPerSec);
  const cpu = (runs: OverheadRun[]): number[] => runs.map((r) => r.cpuPerMillion);
  const rateOff = spread(rate(off));
  const rateOn = spread(rate(on));
  const cpuOff = spread(cpu(off));
  const cpuOn = spread(cpu(on));
  // Throughput cost: how much slower with metrics (positive = slower); CPU cost: how much more CPU a point.
  const throughputCost = pairedPct(rate(off), rate(on)).map((d) => -d);
  const throughputCostPct = spread(throughputCost);
  const cpuCost = pairedPct(cpu(off), cpu(on));
  const cpuCostPct = spread(cpuCost);
  const throughputMean = meanInterval(throughputCost);
  const cpuMean = meanInterval(cpuCost);
  emit(
    {
      case: name,
      function: workload.udf,
      connections: 1,
      writes,
      runs: RUNS,
      loadAverage: loadavg().map(round2),
      processedPerSecMetricsOff: roundSpread(rateOff),
      processedPerSecMetricsOn: roundSpread(rateOn),
      serverCpuSecondsPerMillionPointsOff: roundSpread2(cpuOff),
      serverCpuSecondsPerMillionPointsOn: roundSpread2(cpuOn),
      throughputCostPct: roundSpread2(throughputCostPct),
      cpuPerPointCostPct: roundSpread2(cpuCostPct),
      throughputCostMeanPct: roundInterval(throughputMean),
      cpuPerPointCostMeanPct: roundInterval(cpuMean),
      perRound: off.map((a, i) => ({
        processedPerSec: [Math.round(a.processedPerSec), Math.round((on[i] as OverheadRun).processedPerSec)],
        cpuPerMillion: [round2(a.cpuPerMillion), round2((on[i] as OverheadRun).cpuPerMillion)],
      })),
      scrapes: scrapes.count,
      scrapeFailures: scrapes.failed,
      scrapeBytes: scrapes.bytes,
    },
    {
      case: name,
      conns: 1,
      sent: '',
      processed: `${fmtSpread(rateOff)} -> ${fmtSpread(rateOn)}`,
      returned: '',
      kaP50: '',
      kaP99: '',
      kaP99Pooled: '',
      rss: '',
      cpu: `${fmtCpu(cpuOff.median)} -> ${fmtCpu(cpuOn.median)}`,
      note: `metrics on, per round: throughput cost ${fmtPct(throughputCostPct)}, mean ${fmtMean(throughputMean)}; CPU per point ${fmtPct(cpuCostPct)}, mean ${fmtMean(cpuMean)} (${scrapes.count} scrapes)`,
    },
  );
}

interface Case {
  name: string;
  run: () => Promise<void>;
}

/**
 * A host or echo case in each of the generator's write modes (BENCH_WRITES), chunked first. The
 * Go client runs saturating socket cases only (`go: true`).
 */
function bothModes(
  name: string,
  run: (name: string, writes: WriteMode) => Promise<void>,
  { go = false }: { go?: boolean } = {},
): Case[] {
  return WRITES.filter((writes) => go || writes !== 'go').map((writes) => {
    const full = `${name}${SUFFIX[writes]}`;
    return { name: full, run: () => run(full, writes) };
  });
}

const throughput = (
  name: string,
  makeWorkload: () => Workload,
  conns: number,
  server: 'host' | 'echo',
  pointsPerSec?: number,
): Case[] =>
  bothModes(name, (full, writes) => throughputCase(full, makeWorkload, conns, server, writes, 'socket', pointsPerSec), {
    go: pointsPerSec === undefined,
  });

/** The same in process mode: named `<udf>-<conns>-process`, one process a connection. */
const throughputOverPipes = (
  name: string,
  makeWorkload: () => Workload,
  conns: number,
  server: 'host' | 'echo',
): Case[] =>
  bothModes(`${name}-process`, (full, writes) => throughputCase(full, makeWorkload, conns, server, writes, 'process'));

const cases: Case[] = [
  ...throughput('echo-1', echoWorkload, 1, 'echo'),
  ...throughput('echo-4', echoWorkload, 4, 'echo'),
  ...throughput('echo-16', echoWorkload, 16, 'echo'),
  ...throughput('mirror-1', mirrorWorkload, 1, 'host'),
  ...throughput('mirror-4', mirrorWorkload, 4, 'host'),
  ...throughput('mirror-16', mirrorWorkload, 16, 'host'),
  ...throughput('edgeDetect-1', edgeDetectWorkload, 1, 'host'),
  ...throughput('edgeDetect-4', edgeDetectWorkload, 4, 'host'),
  ...throughput('movingAverage-1', movingAverageWorkload, 1, 'host'),
  ...throughput('movingAverage-4', movingAverageWorkload, 4, 'host'),
  ...throughput('mirror-4-paced', mirrorWorkload, 4, 'host', KAPACITOR_TASK_POINTS_PER_SEC),
  ...throughput('movingAverage-4-paced', movingAverageWorkload, 4, 'host', KAPACITOR_TASK_POINTS_PER_SEC),
  ...throughputOverPipes('echo-1', echoWorkload, 1, 'echo'),
  ...throughputOverPipes('echo-16', echoWorkload, 16, 'echo'),
  ...throughputOverPipes('mirror-1', mirrorWorkload, 1, 'host'),
  ...throughputOverPipes('mirror-16', mirrorWorkload, 16, 'host'),
  ...throughputOverPipes('movingAverage-1', movingAverageWorkload, 1, 'host'),
  ...bothModes('burn-neighbour-idle', (full, writes) => burnNeighbourCase(full, false, writes)),
  ...bothModes('burn-neighbour-load', (full, writes) => burnNeighbourCase(full, true, writes)),
  { name: 'no-read-peer', run: noReadPeerCase },
  { name: 'idle-footprint-default', run: () => idleFootprintCase('idle-footprint-default', 'default') },
  { name: 'idle-footprint-threads0', run: () => idleFootprintCase('idle-footprint-threads0', 0) },
  { name: 'kapacitor', run: () => kapacitorCase('socket') },
  { name: 'kapacitor-process', run: () => kapacitorCase('process') },
  { name: 'edgeDetect-memory', run: edgeMemoryCase },
  { name: 'socket-floor', run: socketFloorCase },
  { name: 'wake-cost', run: () => externalCase('wake-cost', 'benchWakeCost', 'wake-cost') },
  ...bothModes('metrics-overhead-mirror', (full, writes) => metricsOverheadCase(full, mirrorWorkload, writes)),
  ...bothModes('metrics-overhead-movingAverage', (full, writes) =>
    metricsOverheadCase(full, movingAverageWorkload, writes),
  ),
  { name: 'mass-disconnect', run: () => externalCase('mass-disconnect', 'benchMassDisconnect', 'mass-disconnect') },
  { name: 'ingest-codec', run: () => externalCase('codec', 'benchCodec') },
  { name: 'ingest-queue', run: () => externalCase('queue', 'benchQueue') },
  { name: 'ingest-poller', run: () => externalCase('poller', 'benchPoller') },
  { name: 'ingest-poller-telnet', run: () => externalCase('poller', 'benchPollerTelnet', 'ingest-poller-telnet') },
  { name: 'ingest-poller-tr064', run: () => externalCase('poller', 'benchPollerTr064', 'ingest-poller-tr064') },
  { name: 'ingest-poller-http', run: () => externalCase('poller', 'benchPollerHttp', 'ingest-poller-http') },
];

function printTable(): void {
  const header: Row = {
    case: 'case',
    conns: 'conns',
    cpu: 'host CPU s/M points',
    sent: 'sent/s',
    processed: 'processed/s',
    returned: 'returned/s',
    kaP50: 'ka p50 ms',
    kaP99: 'ka p99 ms, per run',
    kaP99Pooled: 'ka p99 pooled',
    rss: 'peak RSS',
    note: 'note',
  };
  const all = [header, ...rows];
  const keys = Object.keys(header) as Array<keyof Row>;
  const widths = keys.map((k) => Math.max(...all.map((r) => String(r[k]).length)));
  const line = (r: Row): string =>
    keys
      .map((k, i) => String(r[k]).padEnd(widths[i] as number))
      .join('  ')
      .trimEnd();
  process.stdout.write(
    `\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${rows.map(line).join('\n')}\n`,
  );
}

async function main(): Promise<void> {
  const chosen =
    selected.length === 0
      ? cases
      : cases.filter((c) => selected.some((s) => c.name === s || c.name.startsWith(`${s}-`) || c.name.startsWith(s)));
  if (chosen.length === 0)
    throw new Error(`BENCH_CASES matches no case (known: ${cases.map((c) => c.name).join(', ')})`);
  const measuredOn = provenance();
  process.stdout.write(
    `${JSON.stringify({ bench: 'kudf', commit: measuredOn.commit, dirty: measuredOn.dirty, machine: { cores: measuredOn.cores, cpuModel: measuredOn.cpuModel, os: measuredOn.os, memoryBytes: measuredOn.memoryBytes }, node: measuredOn.node, runs: RUNS, pointsPerRun: POINTS, secondsCap: SECONDS, hostThreads: THREADS, keepaliveMs: KEEPALIVE_MS, writeBytes: WRITE_BYTES, writes: WRITES, loadAverage: loadavg().map(round2), cases: chosen.map((c) => c.name) })}\n`,
  );
  const started = Date.now();
  for (const c of chosen) {
    try {
      await c.run();
    } catch (err) {
      failures++;
      emit(
        { case: c.name, error: (err as Error).message },
        blankRow(c.name, `FAILED: ${(err as Error).message.split('\n')[0] ?? ''}`),
      );
    }
  }
  process.stdout.write(
    `\n${describeProvenance(measuredOn)}; ${THREADS} worker threads, ${RUNS} runs per case; load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}\n`,
  );
  printTable();
  process.stdout.write(
    `\n${chosen.length} case(s) in ${((Date.now() - started) / 1000).toFixed(0)} s${failures > 0 ? `, ${failures} with errors` : ''}\n`,
  );
  process.exitCode = failures > 0 ? 1 : 0;
}

await main();
