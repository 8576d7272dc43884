// The long ingest outage drill (not in CI): `kudf poll` polling a real sshd router into a real
// influxd; influxd is stopped for DRILL_MINUTES (default 10) and started again on the same port
// and data; the poller is killed with SIGKILL (by default at the queue's peak, just before
// influxd comes back) and restarted on the same config and queue. Every poll the poller logged
// must be in InfluxDB exactly once.
//
//   npm run build && DRILL_MINUTES=2 node dist/scripts/outage-drill.js
//
// Env: DRILL_MINUTES (10), DRILL_INTERVAL_S (1, seconds between polls), DRILL_KILL_AT (`peak`:
// SIGKILL at the end of the outage, influxd still down, the whole outage in the queue; or a
// number of seconds after influxd is back, to kill during the replay), DRILL_DRAIN_S (180, bound
// on waiting for the queue to drain). The writer runs with its production defaults (retry
// 1 s doubling to 60 s, flush 1 s), so the recovery time printed is what a deployment would see.
// Exit status 1 when a poll is lost or doubled.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  REPO_ROOT,
  Influxd,
  matchPolls,
  pollStartsMs,
  PollProcess,
  writePollConfig,
  type PollLog,
  startSshd,
  type SshdHandle,
} from '../test/helpers/index.js';

const minutes = Number(process.env['DRILL_MINUTES'] ?? 10);
const intervalS = Number(process.env['DRILL_INTERVAL_S'] ?? 1);
const killAt = process.env['DRILL_KILL_AT'] ?? 'peak';
const drainS = Number(process.env['DRILL_DRAIN_S'] ?? 180);
const DB = 'drill';
const HOST = 'dsl-drill';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (msg: string): void => {
  process.stdout.write(`[${new Date().toISOString()}] ${msg}\n`);
};

function queueBytes(dir: string): number {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.lp'))
      .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  } catch {
    return 0;
  }
}

/** Bytes not yet acknowledged: segment bytes past the position file's offset. */
function pendingBytes(dir: string): number {
  try {
    const pos = JSON.parse(readFileSyncSafe(join(dir, 'position.json')) ?? '{"segment":0,"offset":0}') as {
      segment: number;
      offset: number;
    };
    return readdirSync(dir)
      .map((f) => /^seg-(\d{16})\.lp$/.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .reduce((n, m) => {
        const id = Number(m[1]);
        const size = statSync(join(dir, m[0])).size;
        if (id < pos.segment) return n;
        return n + (id === pos.segment ? Math.max(0, size - pos.offset) : size);
      }, 0);
  } catch {
    return 0;
  }
}

function readFileSyncSafe(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return undefined;
  }
}

/** The times (ns) of a measurement's points for the drill's router. */
async function storedTimes(influxd: Influxd, measurement: string): Promise<number[]> {
  const series = await influxd.query(DB, `SELECT * FROM "${measurement}" WHERE "host" = '${HOST}'`);
  return (series[0]?.values ?? []).map((v) => Number(v[0]));
}

/** A number a log line carries under `key`, if any. */
const numberIn = (line: PollLog | undefined, key: string): number | undefined =>
  typeof line?.[key] === 'number' ? line[key] : undefined;

async function main(): Promise<void> {
  const scratch = mkdtempSync(join(tmpdir(), 'kudf-drill-'));
  const queueDir = join(scratch, 'queue');
  const children: PollProcess[] = [];
  let sshd: SshdHandle | undefined;
  let influxd: Influxd | undefined;
  const peak = { queueBytes: 0, pendingBytes: 0 };
  let sampler: NodeJS.Timeout | undefined;
  try {
    sshd = await startSshd({ root: REPO_ROOT });
    influxd = await Influxd.start();
    await influxd.exec(`CREATE DATABASE ${DB}`);
    const cfg = join(scratch, 'poll.json');
    writePollConfig(cfg, {
      routers: [
        {
          name: HOST,
          port: sshd.port,
          user: sshd.user,
          command: 'cat test/fixtures/adsl/broadcom-xdslctl-info-stats-1.txt',
          auth: { privateKeyFile: sshd.clientKeyPath },
          fingerprint: sshd.hostFingerprint,
        },
      ],
      influxUrl: influxd.url,
      db: DB,
      queueDir,
      intervalS,
      // Production writer timing, not the fast test settings.
      influx: { flushInterval: 1000, retryMinDelay: 1000, retryMaxDelay: 60000, timeout: 10000 },
    });
    sampler = setInterval(() => {
      peak.queueBytes = Math.max(peak.queueBytes, queueBytes(queueDir));
      peak.pendingBytes = Math.max(peak.pendingBytes, pendingBytes(queueDir));
    }, 500);

    const first = PollProcess.start(cfg);
    children.push(first);
    log(`poller 1 started (pid ${first.child.pid}), interval ${intervalS}s`);
    await first.waitUntil('three polls', () => first.polls().length >= 3, 60_000);

    await influxd.pause();
    const outageStart = Date.now();
    log(`influxd stopped for ${minutes} min`);
    const outageEnd = outageStart + minutes * 60_000;
    while (Date.now() < outageEnd) {
      if (!first.running) throw new Error(`poller exited during the outage\n${first.tail()}`);
      await sleep(Math.min(30_000, outageEnd - Date.now()));
      log(
        `  outage: ${first.polls().length} polls so far, queue ${queueBytes(queueDir)} bytes on disk (${pendingBytes(queueDir)} unacknowledged)`,
      );
    }
    const pollsAtRestart = first.polls().length;
    let restartedAt: number;
    let pendingAtKill: number;
    if (killAt === 'peak') {
      // The hardest moment for the queue: the whole outage sits in it, unacknowledged.
      const lastCount = first.polls().length;
      await first.waitUntil('a poll to finish before the kill', () => first.polls().length > lastCount, 60_000);
      await first.kill();
      pendingAtKill = pendingBytes(queueDir);
      log(
        `poller 1 killed (SIGKILL) after ${first.polls().length} polls with influxd still down; ${pendingAtKill} bytes unacknowledged in the queue`,
      );
      await influxd.resume();
      restartedAt = Date.now();
      log('influxd started again');
    } else {
      await influxd.resume();
      restartedAt = Date.now();
      log(`influxd started again; SIGKILL to the poller in ${killAt}s`);
      await sleep(Number(killAt) * 1000);
      const lastCount = first.polls().length;
      await first.waitUntil('a poll to finish before the kill', () => first.polls().length > lastCount, 60_000);
      await first.kill();
      pendingAtKill = pendingBytes(queueDir);
      log(
        `poller 1 killed (SIGKILL) after ${first.polls().length} polls; ${pendingAtKill} bytes still unacknowledged in the queue`,
      );
    }

    const second = PollProcess.start(cfg);
    children.push(second);
    await second.waitUntil(
      'the writer to start',
      () => second.logs.some((l) => String(l.msg).startsWith('writer started')),
      60_000,
    );
    const replay = second.logs.find((l) => String(l.msg).startsWith('writer started'));
    const replayed = numberIn(replay, 'pending') ?? 0;
    log(`poller 2 started: "${replay?.msg ?? ''}" pending=${replayed} lines`);
    const drainDeadline = Date.now() + drainS * 1000;
    let drainedAt: number | undefined;
    for (;;) {
      const expected = first.polls().length + second.polls().length;
      const n = await influxd.count(DB, 'adsl_poll', 'duration_ms').catch(() => 0);
      if (n >= expected && pendingBytes(queueDir) === 0) {
        drainedAt = Date.now();
        break;
      }
      if (Date.now() > drainDeadline) break;
      await sleep(250);
    }
    log(
      drainedAt !== undefined
        ? `queue drained ${((drainedAt - restartedAt) / 1000).toFixed(1)}s after influxd came back`
        : `queue NOT drained within ${drainS}s`,
    );
    const n2 = second.polls().length;
    await second.waitUntil('three more polls', () => second.polls().length >= n2 + 3, 60_000);
    const exit = await second.stop();
    clearInterval(sampler);
    sampler = undefined;

    const polls = [...first.polls(), ...second.polls()];
    const pollTimes = await storedTimes(influxd, 'adsl_poll');
    const m = matchPolls(pollStartsMs(polls), pollTimes);
    const conn = await storedTimes(influxd, 'adsl_connection');
    const line = await storedTimes(influxd, 'adsl_line');
    const stopped = second.logs.find((l) => l.msg === 'poller stopped') as
      (PollLog & { writer?: { queued?: number; dropped?: number } }) | undefined;
    const allLogs = [...first.logs, ...second.logs];
    const retryLines = allLogs.filter((l) => /^InfluxDB write failed/.test(l.msg));
    const writeWarnings = retryLines.filter((l) => l.level >= 40);
    const otherWarnings = allLogs.filter((l) => l.level >= 40 && !/^InfluxDB write failed/.test(l.msg));
    const duplicated = pollTimes.length - new Set(pollTimes).size + m.ambiguous;
    const report = {
      minutes,
      intervalS,
      polled: polls.length,
      polledBeforeKill: first.polls().length,
      polledDuringOutage: pollsAtRestart - 3,
      arrived: pollTimes.length,
      arrivedConnection: conn.length,
      arrivedLine: line.length,
      lost: m.missing.length,
      unexplained: m.unexplained.length,
      duplicated,
      failedPolls: polls.filter((p) => p.success !== true).length,
      queuePeakBytesOnDisk: peak.queueBytes,
      queuePeakUnacknowledgedBytes: peak.pendingBytes,
      unacknowledgedBytesAtKill: pendingAtKill,
      replayedLinesAtRestart: replayed,
      drainSecondsAfterInfluxRestart:
        drainedAt !== undefined ? Number(((drainedAt - restartedAt) / 1000).toFixed(1)) : null,
      killAt,
      writerRetries: retryLines.length,
      writerRetryDelaysMs: retryLines.map((l) => numberIn(l, 'retryInMs')),
      writerWarnings: writeWarnings.length,
      otherWarnings: otherWarnings.map((l) => l.msg),
      finalQueued: stopped?.writer?.queued,
      finalDropped: stopped?.writer?.dropped,
      exitCode: exit.code,
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    const ok =
      report.lost === 0 &&
      report.unexplained === 0 &&
      report.duplicated === 0 &&
      report.arrived === report.polled &&
      report.arrivedLine === report.polled &&
      exit.code === 0;
    log(ok ? 'DRILL PASSED: every poll arrived exactly once' : 'DRILL FAILED');
    process.exitCode = ok ? 0 : 1;
  } finally {
    if (sampler !== undefined) clearInterval(sampler);
    for (const c of children) await c.kill();
    await influxd?.stop();
    await sshd?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
