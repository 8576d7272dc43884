// Hostile-peer memory test for `kudf serve` (not run in CI beyond a few seconds). Compiled with
// the rest: `npm run build`.
//
//   ATTACK_SECONDS=60 node dist/scripts/attack.js     (default 60 s per phase)
//   ATTACK_CONNECTIONS=1,8 ATTACK_KINDS=partial-max,trickle ...
//
// `kudf serve` runs with its default limits. For each kind of attack, first with one hostile
// connection and then with eight (a hostile connection that the host ends is opened again at
// once), for ATTACK_SECONDS each:
//   batch-outliers, batch-mirror  Init, BeginBatch, then points without end, never an EndBatch
//   partial-max    a header declaring the largest frame, then all of it but one byte
//   trickle        a header declaring the largest frame, then 16 KiB every 50 ms
//   no-init        a flood of connections that never send a byte (up to 160 open per attacker)
//   oversized      a header declaring a 2 GiB frame and 64 KiB of it, over and over
// Throughout, a bystander mirror task sends 5 points every 10 ms and a keepalive every 100 ms.
// The host's RSS is sampled every 200 ms. At the end the figures are printed as JSON, and the
// exit code is 1 unless every phase kept the host's RSS under the idle baseline + 256 MiB, every
// bystander point came back in order with no error, every keepalive was answered, and the host
// stayed up without a fatal log line.
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame, encodeRequest, encodeUvarint } from '../src/protocol/index.js';
import type { Request } from '../src/protocol/index.js';
import { HostProcess } from '../test/helpers/index.js';
import { TaskPeer, percentile, rawConnect, seqPoint, seqPoints } from '../test/reliability/index.js';

const seconds = Number(process.env['ATTACK_SECONDS'] ?? 60);
const connectionCounts = (process.env['ATTACK_CONNECTIONS'] ?? '1,8').split(',').map(Number);
const RSS_HEADROOM_MIB = 256;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Stats {
  /** Hostile connections opened. */
  opened: number;
  /** Hostile connections the host ended (closed, or answered with an error and closed). */
  endedByHost: number;
}

/** One hostile connection's worth of attack: runs until `stopped()`, reconnecting when the host ends it. */
type Attacker = (
  socket: (udf: string) => string,
  stopped: () => boolean,
  stats: Stats,
  open: Set<Socket>,
) => Promise<void>;

/** Connects a peer that reads and drops whatever the host sends. */
async function hostile(path: string, stats: Stats, open: Set<Socket>): Promise<{ s: Socket; closed: Promise<void> }> {
  const s = await rawConnect(path);
  stats.opened++;
  open.add(s);
  s.on('data', () => undefined);
  s.on('error', () => undefined);
  // The host's end of the connection ends ours (the socket is half-open by default).
  s.on('end', () => s.destroy());
  const closed = new Promise<void>((resolve) =>
    s.once('close', () => {
      open.delete(s);
      resolve();
    }),
  );
  return { s, closed };
}

/** Writes and waits until the kernel has the bytes; false once the socket is gone. */
function write(s: Socket, bytes: Uint8Array): Promise<boolean> {
  if (s.destroyed || s.writableEnded) return Promise.resolve(false);
  return new Promise((resolve) => s.write(bytes, (err) => resolve(err === undefined || err === null)));
}

/** Until stopped or the host closes `s`; true when the host did (not our own close at the end). */
async function holdOpen(closed: Promise<void>, stopped: () => boolean): Promise<boolean> {
  let done = false;
  void closed.then(() => (done = true));
  while (!done && !stopped()) await sleep(50);
  return done && !stopped();
}

const frames = (requests: readonly Request[]): Buffer =>
  Buffer.concat(requests.map((r) => encodeFrame(encodeRequest(r))));

function batchWithoutEnd(udf: string, options: Extract<Request, { kind: 'init' }>['options']): Attacker {
  const group = 'host=a';
  const head = frames([
    { kind: 'init', options, taskID: 'hostile-batch', nodeID: 'n' },
    { kind: 'begin', begin: { name: 'seq', group, tags: { host: 'a' }, size: 0n, byName: false } },
  ]);
  const points = frames(Array.from({ length: 500 }, (_, i) => ({ kind: 'point' as const, point: seqPoint(i) })));
  return async (socket, stopped, stats, open) => {
    while (!stopped()) {
      const { s, closed } = await hostile(socket(udf), stats, open);
      let ok = await write(s, head);
      while (ok && !stopped()) ok = await write(s, points);
      if (await holdOpen(closed, stopped)) stats.endedByHost++;
      s.destroy();
    }
  };
}

// The largest frame the host accepts, by default: its header alone, and its body but one byte.
const MAX_HEADER = encodeUvarint(DEFAULT_MAX_FRAME_BYTES);
let maxBody: Buffer | undefined;

const partialMax: Attacker = async (socket, stopped, stats, open) => {
  maxBody ??= Buffer.alloc(DEFAULT_MAX_FRAME_BYTES - 1, 0x41);
  while (!stopped()) {
    const { s, closed } = await hostile(socket('mirror'), stats, open);
    if (await write(s, MAX_HEADER)) await write(s, maxBody);
    if (await holdOpen(closed, stopped)) stats.endedByHost++;
    s.destroy();
  }
};

const trickle: Attacker = async (socket, stopped, stats, open) => {
  const piece = Buffer.alloc(16 * 1024, 0x42);
  while (!stopped()) {
    const { s, closed } = await hostile(socket('mirror'), stats, open);
    let ok = await write(s, MAX_HEADER);
    let gone = false;
    void closed.then(() => (gone = true));
    while (ok && !gone && !stopped()) {
      await sleep(50);
      ok = await write(s, piece);
    }
    if (await holdOpen(closed, stopped)) stats.endedByHost++;
    s.destroy();
  }
};

const noInit: Attacker = async (socket, stopped, stats, open) => {
  const mine = new Set<Promise<void>>();
  while (!stopped()) {
    while (mine.size < 160 && !stopped()) {
      let c: { s: Socket; closed: Promise<void> };
      try {
        c = await hostile(socket('mirror'), stats, open);
      } catch {
        // The listener's backlog is full: the flood is doing its work; try again shortly.
        await sleep(10);
        continue;
      }
      const done: Promise<void> = c.closed.then(() => {
        if (!stopped()) stats.endedByHost++;
        mine.delete(done);
      });
      mine.add(done);
    }
    await Promise.race([...mine, sleep(50)]);
  }
};

const oversized: Attacker = async (socket, stopped, stats, open) => {
  const bytes = Buffer.concat([encodeUvarint(2 ** 31), Buffer.alloc(64 * 1024, 0x43)]);
  while (!stopped()) {
    const { s, closed } = await hostile(socket('mirror'), stats, open);
    await write(s, bytes);
    if (await holdOpen(closed, stopped)) stats.endedByHost++;
    s.destroy();
  }
};

const ATTACKS: Record<string, Attacker> = {
  'batch-outliers': batchWithoutEnd('outliers', [{ name: 'field', values: [{ type: 'string', value: 'v' }] }]),
  'batch-mirror': batchWithoutEnd('mirror', []),
  'partial-max': partialMax,
  trickle,
  'no-init': noInit,
  oversized,
};
const kinds = (process.env['ATTACK_KINDS'] ?? Object.keys(ATTACKS).join(',')).split(',');
for (const k of kinds) if (ATTACKS[k] === undefined) throw new Error(`ATTACK_KINDS: no attack '${k}'`);

const RSS = (pid: number): number =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** Samples RSS every 200 ms for `ms`; the peak. */
async function peakRss(pid: number, ms: number): Promise<number> {
  let peak = RSS(pid);
  for (const until = Date.now() + ms; Date.now() < until;) {
    await sleep(200);
    peak = Math.max(peak, RSS(pid));
  }
  return peak;
}

interface Phase {
  kind: string;
  connections: number;
  baselineMiB: number;
  rssPeakMiB: number;
  overBaselineMiB: number;
  opened: number;
  endedByHost: number;
  /** The host's warnings and errors, counted by code. */
  reasons: Record<string, number>;
  bystander: {
    sent: number;
    back: number;
    lost: number;
    reordered: number;
    errors: string[];
    keepalives: number;
    keepaliveP99Ms: number;
    keepaliveMaxMs: number;
    unansweredKeepalives: number;
  };
  hostAlive: boolean;
  fatalLogLines: number;
  passed: boolean;
}

/**
 * One phase on a fresh host, so that each kind's figure is its own (memory the allocator keeps
 * after one phase would otherwise count against the next).
 */
async function phase(kind: string, connections: number): Promise<Phase> {
  const host = await HostProcess.start(['--functions', 'mirror,outliers']);
  const pid = host.child.pid;
  if (pid === undefined) throw new Error('kudf serve has no pid');
  // The bystander: a mirror task that must get every point back, in order, and every keepalive answered.
  const bystander = await TaskPeer.task(host.socket('mirror'), 'bystander');
  bystander.startKeepalives(100);
  let sent = 0;
  let sending = true;
  const sender = (async () => {
    while (sending) {
      await bystander.write(seqPoints(sent, 5));
      sent += 5;
      await sleep(10);
    }
  })();
  const baselineMiB = await peakRss(pid, 1500);

  const stats: Stats = { opened: 0, endedByHost: 0 };
  const open = new Set<Socket>();
  let stop = false;
  const attack = ATTACKS[kind] as Attacker;
  const running = Array.from({ length: connections }, () =>
    attack(
      (udf) => host.socket(udf),
      () => stop,
      stats,
      open,
    ).catch((err: unknown) => {
      console.log(`  ${kind}: attacker failed: ${err instanceof Error ? err.message : String(err)}`);
    }),
  );
  const peak = await peakRss(pid, seconds * 1000);
  stop = true;
  for (const s of open) s.destroy();
  if (!(await Promise.race([Promise.all(running).then(() => true), sleep(15_000).then(() => false)])))
    console.log(`  ${kind} ×${connections}: an attacker did not stop within 15 s`);

  sending = false;
  // A bystander whose writes the host no longer takes is a failure, not a hang of this script.
  const senderDone = await Promise.race([sender.then(() => true), sleep(15_000).then(() => false)]);
  if (!senderDone) console.log(`  ${kind} ×${connections}: the bystander's writes were not taken for 15 s`);
  const last = sent - 1;
  await Promise.race([
    bystander.next((r) => r.kind === 'point' && r.point.fields['seq'] === BigInt(last)),
    sleep(15_000),
  ]);
  await sleep(300);
  const seqs = bystander.seqs();
  let reordered = 0;
  for (let i = 1; i < seqs.length; i++) if ((seqs[i] as number) <= (seqs[i - 1] as number)) reordered++;
  const unanswered = bystander.unansweredKeepaliveAges().filter((age) => age > 1000).length;
  const errors = bystander.errors();
  bystander.end();
  await Promise.race([bystander.closed, sleep(5000)]);
  const fatal = host.logs.filter((l) => l.level >= 60).length;
  const alive = host.child.exitCode === null;
  // Why the host ended the hostile connections, by log code (or message, for lines without one).
  const reasons: Record<string, number> = {};
  for (const l of host.logs) {
    if (l.level < 40) continue;
    const key = typeof l['code'] === 'string' ? l['code'] : l.msg.replace(/\d+/g, 'N').slice(0, 80);
    reasons[key] = (reasons[key] ?? 0) + 1;
  }
  await host.stop();
  const by = {
    sent,
    back: seqs.length,
    lost: sent - new Set(seqs).size,
    reordered,
    errors,
    keepalives: bystander.keepaliveRtts.length,
    keepaliveP99Ms: +percentile(bystander.keepaliveRtts, 99).toFixed(1),
    keepaliveMaxMs: +Math.max(0, ...bystander.keepaliveRtts).toFixed(1),
    unansweredKeepalives: unanswered,
  };
  const passed =
    senderDone &&
    peak < baselineMiB + RSS_HEADROOM_MIB &&
    by.lost === 0 &&
    by.back === sent &&
    reordered === 0 &&
    errors.length === 0 &&
    unanswered === 0 &&
    alive &&
    fatal === 0;
  return {
    kind,
    connections,
    baselineMiB: +baselineMiB.toFixed(1),
    rssPeakMiB: +peak.toFixed(1),
    overBaselineMiB: +(peak - baselineMiB).toFixed(1),
    opened: stats.opened,
    endedByHost: stats.endedByHost,
    reasons,
    bystander: by,
    hostAlive: alive,
    fatalLogLines: fatal,
    passed,
  };
}

console.log(`attack: ${kinds.join(', ')} × ${connectionCounts.join(', ')} connections, ${seconds} s each`);
const phases: Phase[] = [];
for (const kind of kinds) {
  for (const connections of connectionCounts) {
    const p = await phase(kind, connections);
    phases.push(p);
    console.log(
      `  ${kind} ×${connections}: rss ${p.baselineMiB} → peak ${p.rssPeakMiB} MiB (+${p.overBaselineMiB}), ${p.opened} opened, ${p.endedByHost} ended by the host; bystander ${p.bystander.back}/${p.bystander.sent} back, keepalive p99 ${p.bystander.keepaliveP99Ms} ms${p.passed ? '' : '  FAILED'}`,
    );
  }
}

const report = {
  seconds,
  headroomMiB: RSS_HEADROOM_MIB,
  phases,
  passed: phases.every((p) => p.passed),
};
console.log(JSON.stringify(report, null, 2));
process.exitCode = report.passed ? 0 : 1;
