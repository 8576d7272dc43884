// Soak test for `kudf serve` (not run in CI). Compiled with the rest: `npm run build`.
//
//   SOAK_MINUTES=10 node dist/scripts/soak.js      (default 10 minutes, 8 tasks)
//   SOAK_TASKS=8 SOAK_SEED=1 ...
//
// Eight concurrent "Kapacitor tasks" on mixed functions (mirror, edgeDetect, movingAverage,
// ewma). Each task runs one session after another: Init, Restore from its last snapshot,
// points with a per-task sequence field, a Snapshot now and then, and an end that is either
// orderly (close the write side and wait, as Kapacitor does) or a random disconnect
// (destroy mid-stream). Every session that stayed up to its orderly end must have got back
// every point it sent, in order (for ewma: one output per input, in time order).
// The host's RSS, open fds and thread count are sampled from /proc throughout; at the end
// the figures are printed as JSON and the exit code is 1 on any lost or reordered point, any
// host crash or fatal log line, or growth in fds or threads.
import { readdirSync, readFileSync } from 'node:fs';
import { KapacitorClient } from '../src/probe/index.js';
import type { InitOption, Request, Response } from '../src/protocol/index.js';
import { HostProcess } from '../test/helpers/index.js';

const minutes = Number(process.env['SOAK_MINUTES'] ?? 10);
const tasks = Number(process.env['SOAK_TASKS'] ?? 8);
let seed = Number(process.env['SOAK_SEED'] ?? Date.now() % 100000) >>> 0 || 1;
const random = (): number => {
  // xorshift32: a reproducible run from SOAK_SEED.
  seed ^= seed << 13;
  seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 2 ** 32;
};

interface SoakFunction {
  udf: string;
  options: InitOption[];
  /** Every input point comes back unchanged, so the sequence field must arrive complete and in order. */
  exact: boolean;
}

interface TaskState {
  seq: number;
  snapshotSeq: number;
  sessions: number;
  snapshot: Uint8Array | undefined;
}

interface Sample {
  t: number;
  rssMiB: number;
  threads: number;
  fds: number;
}

const FUNCTIONS: SoakFunction[] = [
  { udf: 'mirror', options: [], exact: true },
  { udf: 'edgeDetect', options: [{ name: 'field', values: [{ type: 'string', value: 'state' }] }], exact: true },
  {
    udf: 'movingAverage',
    options: [
      { name: 'field', values: [{ type: 'string', value: 'v' }] },
      { name: 'size', values: [{ type: 'int', value: 5n }] },
      { name: 'keepFields', values: [{ type: 'bool', value: true }] },
    ],
    exact: true,
  },
  {
    udf: 'ewma',
    options: [
      { name: 'field', values: [{ type: 'string', value: 'v' }] },
      { name: 'alpha', values: [{ type: 'double', value: 0.3 }] },
    ],
    exact: false,
  },
];

const host = await HostProcess.start([
  '--threads',
  '2',
  '--functions',
  FUNCTIONS.map((f) => f.udf).join(','),
  '--log-level',
  'info',
]);
const pid = host.child.pid;
if (pid === undefined) throw new Error('kudf serve has no pid');

function sample(): Sample {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return {
    t: Date.now(),
    rssMiB: kb('VmRSS') / 1024,
    threads: kb('Threads'),
    fds: readdirSync(`/proc/${pid}/fd`).length,
  };
}

const totals = {
  sessions: 0,
  orderly: 0,
  disconnected: 0,
  pointsSent: 0,
  pointsBack: 0,
  snapshots: 0,
  restores: 0,
  restoresFailed: 0,
  lost: 0,
  reordered: 0,
  errors: 0,
};
const problems: string[] = [];
const deadline = Date.now() + minutes * 60_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function session(task: number, fn: SoakFunction, state: TaskState): Promise<void> {
  totals.sessions++;
  const hosts = ['a', 'b', 'c'];
  const first = state.seq;
  let expected = first;
  let back = 0;
  let lastTime = -1n;
  const onData = (r: Response): void => {
    if (r.kind !== 'point') return;
    back++;
    totals.pointsBack++;
    if (fn.exact) {
      const s = Number(r.point.fields.seq);
      if (s !== expected) {
        if (s > expected) totals.lost += s - expected;
        else totals.reordered++;
        if (problems.length < 20) problems.push(`task ${task} (${fn.udf}): got seq ${s}, expected ${expected}`);
      }
      expected = s + 1;
    } else {
      // ewma derives new points: one per input, in time order per group; times are global here.
      if (r.point.time < lastTime) totals.reordered++;
      lastTime = r.point.time;
    }
  };
  const client = await KapacitorClient.connectSocket(host.socket(fn.udf), { timeoutMs: 10_000, onData });
  client.startKeepalives();
  const init = await client.init(fn.options, `soak-${task}`, `n${state.sessions++}`);
  if (!init.success) throw new Error(`task ${task}: Init failed: ${init.error}`);
  if (state.snapshot !== undefined) {
    totals.restores++;
    const res = await client.restore(state.snapshot);
    if (!res.success) {
      totals.restoresFailed++;
      problems.push(`task ${task}: restore failed: ${res.error}`);
    }
  }
  const lifetimeMs = 1000 + random() * 6000;
  const disconnect = random() < 0.25;
  const until = Math.min(Date.now() + lifetimeMs, deadline);
  while (Date.now() < until) {
    const batch: Request[] = [];
    for (let i = 0; i < 200; i++, state.seq++) {
      const seq = state.seq;
      batch.push({
        kind: 'point',
        point: {
          time: 1_700_000_000_000_000_000n + BigInt(seq) * 1_000_000n,
          name: 'soak',
          database: 'db',
          retentionPolicy: 'autogen',
          group: `host=${hosts[seq % 3]}`,
          dimensions: ['host'],
          tags: { host: hosts[seq % 3] ?? 'a' },
          // Every point changes `state` for its group, so edgeDetect emits every one of them.
          fields: { seq: BigInt(seq), v: (seq % 17) * 0.5, state: Math.floor(seq / 3) % 2 === 0 ? 'up' : 'down' },
          byName: false,
        },
      });
    }
    totals.pointsSent += batch.length;
    if (!client.sendMany(batch)) await client.drained();
    if (random() < 0.05) {
      const at = state.seq;
      state.snapshot = await client.snapshot();
      state.snapshotSeq = at;
      totals.snapshots++;
    }
    await sleep(random() * 20);
  }
  if (disconnect) {
    totals.disconnected++;
    client.destroy();
    // Points after the last snapshot are lost with the connection; like a replaying source,
    // the next session restores the snapshot and sends again from where it was taken, so
    // stateful functions (edgeDetect) see a consistent history.
    state.seq = state.snapshotSeq;
    return;
  }
  state.snapshot = await client.snapshot();
  state.snapshotSeq = state.seq;
  totals.snapshots++;
  await client.close();
  totals.orderly++;
  const sent = state.seq - first;
  if (back !== sent) {
    totals.lost += Math.max(0, sent - back);
    problems.push(`task ${task} (${fn.udf}): ${back} of ${sent} points came back`);
  }
}

async function task(i: number): Promise<void> {
  const fn = FUNCTIONS[i % FUNCTIONS.length] as SoakFunction;
  const state: TaskState = { seq: 0, snapshotSeq: 0, sessions: 0, snapshot: undefined };
  while (Date.now() < deadline) {
    try {
      await session(i, fn, state);
    } catch (err) {
      totals.errors++;
      if (problems.length < 20)
        problems.push(`task ${i} (${fn.udf}): ${err instanceof Error ? err.message : String(err)}`);
      await sleep(200);
    }
  }
}

// The workers start with the first task connection (Info alone is answered without them), and
// its Init is answered only once they are up: after it the baseline counts them, and a thread
// added later is growth.
const firstFn = FUNCTIONS[0] as SoakFunction;
const first = await KapacitorClient.connectSocket(host.socket(firstFn.udf), { timeoutMs: 10_000 });
await first.init(firstFn.options, 'soak-baseline');
await first.close();
const start = sample();
const samples: Sample[] = [start];
console.log(`soak: ${tasks} tasks for ${minutes} min on pid ${pid}: ${JSON.stringify(start)}`);
const sampler = setInterval(() => {
  const s = sample();
  samples.push(s);
  const elapsed = ((s.t - start.t) / 1000).toFixed(0);
  console.log(
    `  ${elapsed}s rss=${s.rssMiB.toFixed(1)}MiB fds=${s.fds} threads=${s.threads} sent=${totals.pointsSent} back=${totals.pointsBack} sessions=${totals.sessions}`,
  );
}, 15_000);

const started = Date.now();
await Promise.all(Array.from({ length: tasks }, (_, i) => task(i)));
clearInterval(sampler);
// Let the host settle (closed sockets, collected buffers) before the last sample.
await sleep(3000);
const end = sample();
samples.push(end);
const fatal = host.logs.filter((l) => l.level >= 60).length;
const alive = host.child.exitCode === null;
await host.stop();

const seconds = (Date.now() - started) / 1000;
const report = {
  minutes: Number((seconds / 60).toFixed(2)),
  tasks,
  ...totals,
  pointsPerSecond: Math.round(totals.pointsSent / seconds),
  rssMiB: {
    start: +start.rssMiB.toFixed(1),
    end: +end.rssMiB.toFixed(1),
    peak: +Math.max(...samples.map((s) => s.rssMiB)).toFixed(1),
  },
  fds: { start: start.fds, end: end.fds, peak: Math.max(...samples.map((s) => s.fds)) },
  threads: { start: start.threads, end: end.threads, peak: Math.max(...samples.map((s) => s.threads)) },
  hostAlive: alive,
  fatalLogLines: fatal,
  problems,
};
console.log(JSON.stringify(report, null, 2));
const leak = end.fds > start.fds + 4 || end.threads > start.threads;
process.exitCode =
  totals.lost === 0 && totals.reordered === 0 && totals.errors === 0 && fatal === 0 && alive && !leak ? 0 : 1;
