/**
 * Ingest outages end to end: `kudf poll` as a child process with a real config file, polling
 * a real OpenSSH router (ForceCommand printing a fixture) and ssh2 routers that misbehave,
 * writing into a real influxd that is stopped and started on the same port and data. What
 * the poller logged (`poll done` per poll) is the reference every stored point is matched to.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  waitFor,
  Influxd,
  REPO_ROOT,
  startSshd,
  type SshdHandle,
  startSilentRouter,
  type SilentRouter,
  matchPolls,
  pollStartsMs,
  PollProcess,
  startCuttingRouter,
  writePollConfig,
  type CuttingRouter,
  type PollLog,
  type PollRouterSpec,
} from '../helpers/index.js';

const FIXTURE_PATH = 'test/fixtures/adsl/broadcom-xdslctl-info-stats-1.txt';
const FIXTURE_CMD = `cat ${FIXTURE_PATH}`;
const WRITE_FAILED = 'InfluxDB write failed; data stays queued';
const WRITES_BACK = 'InfluxDB writes succeed again';
/** The writer's line for a failed retry, whatever its level (first failure, or a repeat). */
const RETRY_LINE = /^InfluxDB write failed/;
const WARN = 40;
/** writePollConfig's retryMaxDelay. */
const RETRY_MAX_MS = 1000;

interface Row {
  time: number;
  [column: string]: unknown;
}

async function rows(influxd: Influxd, db: string, measurement: string, host: string): Promise<Row[]> {
  const series = await influxd.query(db, `SELECT * FROM "${measurement}" WHERE "host" = '${host}'`);
  const s = series[0];
  if (s === undefined) return [];
  return s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) as Row);
}

function queueBytes(dir: string): number {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.lp'))
    .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

/** Every logged poll has its adsl_poll point, no stored point lacks a logged poll, and each time is stored once. */
async function assertEveryPollOnce(
  influxd: Influxd,
  db: string,
  host: string,
  polls: readonly PollLog[],
): Promise<Row[]> {
  const stored = await rows(influxd, db, 'adsl_poll', host);
  const times = stored.map((r) => r.time);
  assert.equal(new Set(times).size, times.length, 'each poll time stored once');
  const m = matchPolls(pollStartsMs(polls), times);
  assert.deepEqual(m.missing, [], `polls logged but not stored (lost): ${m.missing.length}`);
  assert.deepEqual(m.unexplained, [], `points stored without a logged poll: ${m.unexplained.length}`);
  assert.equal(m.ambiguous, 0, 'every poll matches exactly one stored time');
  assert.equal(stored.length, polls.length, 'as many adsl_poll points as polls');
  return stored;
}

describe('kudf poll through InfluxDB outages', () => {
  let sshd: SshdHandle;
  let influxd: Influxd;
  let scratch: string;
  const children: PollProcess[] = [];
  const poller = (cfg: string): PollProcess => {
    const p = PollProcess.start(cfg);
    children.push(p);
    return p;
  };
  const sshdRouter = (name: string): PollRouterSpec => ({
    name,
    port: sshd.port,
    user: sshd.user,
    command: FIXTURE_CMD,
    auth: { privateKeyFile: sshd.clientKeyPath },
    fingerprint: sshd.hostFingerprint,
  });

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'kudf-poll-outage-'));
    sshd = await startSshd({ root: REPO_ROOT });
    influxd = await Influxd.start();
  });
  after(async () => {
    for (const c of children) await c.kill();
    await influxd?.stop();
    await sshd?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  describe('InfluxDB stopped for several polls, then started on the same port and data', () => {
    let p: PollProcess;
    let pollsDuringOutage = 0;
    let stoppedLog: PollLog | undefined;

    before(async () => {
      await influxd.exec('CREATE DATABASE outage');
      const cfg = join(scratch, 'outage.json');
      writePollConfig(cfg, {
        routers: [sshdRouter('dsl-out')],
        influxUrl: influxd.url,
        db: 'outage',
        queueDir: join(scratch, 'q-outage'),
      });
      p = poller(cfg);
      await p.waitUntil('two polls', () => p.polls().length >= 2);
      await waitFor('the first delivery', async () => (await influxd.count('outage', 'adsl_poll', 'duration_ms')) >= 1);
      await influxd.pause();
      const atPause = p.polls().length;
      await p.waitUntil('six polls with InfluxDB down', () => p.polls().length >= atPause + 6);
      // A poll that was already past its write when the pause began may still have been delivered; the others cannot have been.
      pollsDuringOutage = p.polls().length - atPause - 1;
      await influxd.resume();
      await p.waitUntil('the writer to recover', () => p.logs.some((l) => l.msg === WRITES_BACK));
      const atResume = p.polls().length;
      await p.waitUntil('two polls after the restart', () => p.polls().length >= atResume + 2);
      const exit = await p.stop();
      assert.equal(exit.code, 0, p.tail());
      stoppedLog = p.logs.find((l) => l.msg === 'poller stopped');
    });

    it('stores every poll exactly once: the adsl_poll times match the polls the poller logged, one to one', async () => {
      assert.ok(pollsDuringOutage >= 5, `the outage spanned polls (${pollsDuringOutage})`);
      const polls = p.polls();
      const stored = await assertEveryPollOnce(influxd, 'outage', 'dsl-out', polls);
      assert.ok(
        stored.every((r) => r['success'] === true && r['error_class'] === 'none'),
        'the router itself never failed',
      );
    });

    it('stores adsl_connection and adsl_line for exactly the same poll times', async () => {
      const pollTimes = (await rows(influxd, 'outage', 'adsl_poll', 'dsl-out')).map((r) => r.time);
      const conn = (await rows(influxd, 'outage', 'adsl_connection', 'dsl-out')).map((r) => r.time);
      const line = await rows(influxd, 'outage', 'adsl_line', 'dsl-out');
      assert.deepEqual(conn, pollTimes);
      assert.deepEqual(
        line.map((r) => r.time),
        pollTimes,
      );
      assert.ok(
        line.every((r) => r['sync_rate_down_kbps'] === 31829),
        'values intact after the replay',
      );
    });

    it('ends with an empty queue, nothing dropped, and its own poll count equal to the logged polls', () => {
      assert.ok(stoppedLog !== undefined, 'poller stopped logged');
      const writer = stoppedLog['writer'] as { queued: number; dropped: number; written: number; accepted: number };
      assert.equal(stoppedLog['polls'], p.polls().length);
      assert.equal(stoppedLog['failures'], 0);
      assert.equal(writer.queued, 0);
      assert.equal(writer.dropped, 0);
      assert.equal(writer.written, writer.accepted, 'every accepted line written');
      assert.equal(writer.accepted, 3 * p.polls().length, 'three points per poll');
    });

    it('logs the outage with its cause (ECONNREFUSED) and the recovery once, one line per backed-off retry, and nothing else above info', () => {
      const retries = p.logs.filter((l) => RETRY_LINE.test(l.msg));
      assert.ok(
        retries.some((l) => l.level === WARN && l.msg === WRITE_FAILED),
        'the outage is logged at warn',
      );
      for (const l of retries) {
        assert.match(String(l['reason']), /ECONNREFUSED/);
        assert.ok(Number(l['queued']) > 0, 'says how much is waiting');
      }
      // One line per retry, not per batch or per poll: the failure counter climbs by one each line and the waits grow to the cap.
      assert.deepEqual(
        retries.map((l) => l['failures']),
        retries.map((_l, i) => i + 1),
      );
      const waits = retries.map((l) => Number(l['retryInMs']));
      assert.ok(
        waits.every((w) => w <= RETRY_MAX_MS),
        'waits capped at retryMaxDelay',
      );
      assert.ok(
        waits.slice(-2).every((w) => w >= RETRY_MAX_MS / 2),
        'the later waits reach the cap (equal jitter: at least half)',
      );
      assert.equal(p.logs.filter((l) => l.msg === WRITES_BACK).length, 1);
      const others = p.logs.filter((l) => l.level >= WARN && !RETRY_LINE.test(l.msg));
      assert.deepEqual(others, [], 'the router polls are not blamed for the database outage');
    });

    it('logs the outage once at warn, not once per retry', () => {
      assert.equal(p.logs.filter((l) => RETRY_LINE.test(l.msg) && l.level >= WARN).length, 1);
    });
  });

  it('a poller killed with SIGKILL while InfluxDB is down delivers its queued polls exactly once after a restart', async () => {
    await influxd.exec('CREATE DATABASE killed');
    const cfg = join(scratch, 'killed.json');
    const queueDir = join(scratch, 'q-killed');
    writePollConfig(cfg, { routers: [sshdRouter('dsl-kill')], influxUrl: influxd.url, db: 'killed', queueDir });
    const first = poller(cfg);
    await first.waitUntil('a poll', () => first.polls().length >= 1);
    await influxd.pause();
    const atPause = first.polls().length;
    await first.waitUntil(
      'polls and a failed write with InfluxDB down',
      () => first.polls().length >= atPause + 4 && first.logs.some((l) => l.msg === WRITE_FAILED),
    );
    // Kill right after a poll finished, so the next one (an interval away) is not half done.
    const n = first.polls().length;
    await first.waitUntil('the next poll', () => first.polls().length > n);
    await first.kill();
    const firstPolls = first.polls();
    assert.equal(
      first.logs.some((l) => l.msg === 'poller stopped'),
      false,
      'no orderly shutdown happened',
    );
    assert.ok(queueBytes(queueDir) > 0, 'points sit in the on-disk queue');

    await influxd.resume();
    const second = poller(cfg);
    await second.waitUntil('the writer to start', () =>
      second.logs.some((l) => String(l.msg).startsWith('writer started')),
    );
    const started = second.logs.find((l) => String(l.msg).startsWith('writer started'));
    assert.equal(started?.msg, 'writer started; replaying queued lines');
    assert.ok(
      Number(started?.['pending']) >= 3 * (firstPolls.length - atPause - 1),
      `the outage's polls are queued (${String(started?.['pending'])})`,
    );
    await second.waitUntil('two polls after the restart', () => second.polls().length >= 2);
    const exit = await second.stop();
    assert.equal(exit.code, 0, second.tail());
    const stopped = second.logs.find((l) => l.msg === 'poller stopped');
    assert.equal((stopped?.['writer'] as { queued?: number } | undefined)?.queued, 0);

    await assertEveryPollOnce(influxd, 'killed', 'dsl-kill', [...firstPolls, ...second.polls()]);
    const line = await rows(influxd, 'killed', 'adsl_line', 'dsl-kill');
    assert.equal(line.length, firstPolls.length + second.polls().length, 'one adsl_line per poll');
  });

  describe('the disk queue fills up while InfluxDB is down', () => {
    let p: PollProcess;
    let pausedAt = 0;
    let resumedAt = 0;
    const QUEUE_FULL = /^queue (still )?full/;
    const drops = (): PollLog[] => p.logs.filter((l) => QUEUE_FULL.test(l.msg));

    before(async () => {
      await influxd.exec('CREATE DATABASE full');
      const cfg = join(scratch, 'full.json');
      writePollConfig(cfg, {
        routers: [sshdRouter('dsl-full')],
        influxUrl: influxd.url,
        db: 'full',
        queueDir: join(scratch, 'q-full'),
        influx: { queueMaxBytes: 4096 },
      });
      p = poller(cfg);
      await p.waitUntil('a poll', () => p.polls().length >= 1);
      await waitFor('the first delivery', async () => (await influxd.count('full', 'adsl_poll', 'duration_ms')) >= 1);
      await influxd.pause();
      pausedAt = Date.now();
      await p.waitUntil('the queue to overflow', () => drops().length >= 1);
      // Three more polls (about 1.5 KiB each) overflow a 4 KiB queue again, whether or not each drop is logged.
      const n0 = p.polls().length;
      await p.waitUntil('three more polls with InfluxDB down', () => p.polls().length >= n0 + 3);
      await influxd.resume();
      resumedAt = Date.now();
      await p.waitUntil('the writer to recover', () => p.logs.some((l) => l.msg === WRITES_BACK));
      const n = p.polls().length;
      await p.waitUntil('a poll after the restart', () => p.polls().length > n);
      const exit = await p.stop();
      assert.equal(exit.code, 0, p.tail());
    });

    it('accounts for every line: stored plus dropped equals polled, and the drop reports never claim more than was dropped', async () => {
      const stopped = p.logs.find((l) => l.msg === 'poller stopped');
      const writer = stopped?.['writer'] as { accepted: number; written: number; dropped: number; queued: number };
      const logged = drops();
      assert.ok(logged.length >= 1, 'the full queue is logged');
      assert.ok(
        logged.every((l) => l.level === 50 && l['maxBytes'] === 4096 && Number(l['lines']) > 0),
        'each drop report is an error naming the bound and the count',
      );
      assert.ok(
        logged.reduce((n, l) => n + Number(l['lines']), 0) <= writer.dropped,
        'the reports never claim more than was dropped',
      );
      assert.ok(writer.dropped > Number(logged[0]?.['lines']), 'the queue overflowed again after the first report');
      assert.equal(writer.queued, 0);
      assert.equal(writer.accepted, 3 * p.polls().length);
      let stored = 0;
      for (const m of ['adsl_poll', 'adsl_connection', 'adsl_line'])
        stored += (await rows(influxd, 'full', m, 'dsl-full')).length;
      // A line counts both as stored and as dropped only if InfluxDB stored it from a request that
      // then failed (stopped mid-request: no answer), so the writer kept it and the bound later
      // dropped it. A refused connection delivers nothing. So the excess is at most what was
      // queued at failures other than a refusal, and nothing else.
      const excess = stored + writer.dropped - writer.accepted;
      assert.ok(
        excess >= 0,
        `nothing vanished without being counted (stored ${stored} + dropped ${writer.dropped} < accepted ${writer.accepted})`,
      );
      const sentButUnanswered = p.logs.filter(
        (l) => RETRY_LINE.test(l.msg) && !/ECONNREFUSED/.test(String(l['reason'])),
      );
      const inDoubt = sentButUnanswered.reduce((n, l) => n + Number(l['queued']), 0);
      assert.ok(
        excess <= inDoubt,
        `stored + dropped exceeds accepted by ${excess}, more than the ${inDoubt} lines queued at failures after sending (${sentButUnanswered.map((l) => String(l['reason'])).join('; ')})`,
      );
    });

    it('loses only the oldest polls of the outage and stores no point that was never polled', async () => {
      const polls = p.polls();
      const stored = (await rows(influxd, 'full', 'adsl_poll', 'dsl-full')).map((r) => r.time);
      const m = matchPolls(pollStartsMs(polls), stored);
      assert.deepEqual(m.unexplained, []);
      assert.equal(m.ambiguous, 0);
      assert.ok(m.missing.length > 0, 'the bound forced a loss');
      const keptDuringOutage = pollStartsMs(polls).filter(
        (t) => t > pausedAt && t < resumedAt && !m.missing.includes(t),
      );
      assert.ok(keptDuringOutage.length > 0, 'the newest polls of the outage survive');
      assert.ok(
        m.missing.every((t) => t > pausedAt - 2000 && t < Math.min(...keptDuringOutage)),
        'the lost polls are older than every kept poll of the outage',
      );
    });

    it('logs the full queue once per outage rather than at every poll that overflows it', () => {
      assert.equal(drops().length, 1);
    });
  });

  describe('routers that break off: mid-output connection drop, command killed by a signal, silence after TCP accept', () => {
    let tcpCut: CuttingRouter;
    let signalCut: CuttingRouter;
    let silent: SilentRouter;
    let p: PollProcess;
    const fixture = readFileSync(join(REPO_ROOT, FIXTURE_PATH), 'utf8');
    const warnings = (router: string): PollLog[] => p.logs.filter((l) => l.level >= WARN && l['router'] === router);

    before(async () => {
      await influxd.exec('CREATE DATABASE cut');
      tcpCut = await startCuttingRouter({
        password: 'pw-cut',
        output: fixture,
        plan: (n) => (n === 1 ? 'drop-connection' : 'full'),
      });
      signalCut = await startCuttingRouter({
        password: 'pw-cut',
        output: fixture,
        plan: (n) => (n === 1 ? 'killed-by-signal' : 'full'),
      });
      silent = await startSilentRouter();
      const cut = (name: string, r: { port: number; hostFingerprint: string }): PollRouterSpec => ({
        name,
        port: r.port,
        user: 'admin',
        command: 'xdslctl info --stats',
        auth: { password: 'pw-cut' },
        fingerprint: r.hostFingerprint,
      });
      const cfg = join(scratch, 'cut.json');
      writePollConfig(cfg, {
        routers: [
          cut('cut-tcp', tcpCut),
          cut('cut-signal', signalCut),
          { ...cut('silent', { port: silent.port, hostFingerprint: tcpCut.hostFingerprint }), connectTimeout: '1s' },
        ],
        influxUrl: influxd.url,
        db: 'cut',
        queueDir: join(scratch, 'q-cut'),
      });
      p = poller(cfg);
      await p.waitUntil(
        'three polls of each cutting router and two of the silent one',
        () => p.polls('cut-tcp').length >= 3 && p.polls('cut-signal').length >= 3 && p.polls('silent').length >= 2,
        30_000,
      );
      const exit = await p.stop();
      assert.equal(exit.code, 0, p.tail());
    });
    after(async () => {
      await tcpCut?.close();
      await signalCut?.close();
      await silent?.close();
    });

    it('a connection dropped mid-output fails that poll as connect, writes no line data from the half, and the next poll succeeds on a fresh login', async () => {
      const polls = await assertEveryPollOnce(influxd, 'cut', 'cut-tcp', p.polls('cut-tcp'));
      assert.deepEqual(
        polls.slice(0, 3).map((r) => [r['success'], r['error_class']]),
        [
          [true, 'none'],
          [false, 'connect'],
          [true, 'none'],
        ],
      );
      const failedAt = polls[1]?.time;
      const conn = await rows(influxd, 'cut', 'adsl_connection', 'cut-tcp');
      const line = await rows(influxd, 'cut', 'adsl_line', 'cut-tcp');
      assert.equal(
        conn.some((r) => r.time === failedAt),
        false,
        'no adsl_connection from the truncated output',
      );
      assert.equal(
        line.some((r) => r.time === failedAt),
        false,
        'no adsl_line from the truncated output',
      );
      assert.equal(line.length, polls.length - 1, 'line data for every other poll');
      assert.equal(tcpCut.logins, 2, 'one fresh login after the drop, then the connection is kept');
    });

    it('logs the dropped connection once, with its cause', () => {
      const w = warnings('cut-tcp');
      assert.equal(w.length, 1, JSON.stringify(w));
      assert.equal(w[0]?.msg, 'poll failed');
      assert.equal(w[0]?.['code'], 'KUDF_SSH_CLOSED');
      assert.equal(w[0]?.['errorClass'], 'connect');
      assert.match(String(w[0]?.['err']), /closed the SSH connection/);
    });

    it('a command killed by a signal mid-output fails that poll instead of storing its first half as a successful reading', async () => {
      const polls = await rows(influxd, 'cut', 'adsl_poll', 'cut-signal');
      assert.equal(polls[1]?.['success'], false, 'the killed command is a failed poll');
      const line = await rows(influxd, 'cut', 'adsl_line', 'cut-signal');
      assert.equal(
        line.some((r) => r.time === polls[1]?.time),
        false,
        'no adsl_line from the truncated output',
      );
      assert.equal(warnings('cut-signal').length, 1, 'logged once with its cause');
    });

    it('a router that accepts TCP and says nothing fails each poll as timeout, logged once per poll, without holding up the others', async () => {
      const polls = await assertEveryPollOnce(influxd, 'cut', 'silent', p.polls('silent'));
      assert.ok(polls.every((r) => r['success'] === false && r['error_class'] === 'timeout'));
      assert.deepEqual(await rows(influxd, 'cut', 'adsl_connection', 'silent'), []);
      const w = warnings('silent');
      assert.equal(w.length, polls.length, 'one warning per failed poll');
      assert.ok(
        w.every(
          (l) => l['code'] === 'KUDF_SSH_CONNECT_TIMEOUT' && /no SSH session within 1000 ms/.test(String(l['err'])),
        ),
      );
      assert.ok(silent.accepted >= polls.length, 'each poll really connected');
    });
  });
});
