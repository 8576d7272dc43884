/**
 * The sandbox's whole data path with no containers: `kudf poll` logs into a simulated router
 * behind a real OpenSSH server, writes to a real InfluxDB, whose subscription feeds a real
 * Kapacitor (built from its Go module; its source is never copied into this repository) running
 * every TICKscript in tickscripts/ through `kudf serve`. Each script's output must hold what its
 * header comment promises.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HostProcess,
  REPO_ROOT,
  Influxd,
  type QuerySeries,
  startSshd,
  type SshdHandle,
  PollProcess,
  writePollConfig,
  waitFor,
  Kapacitord,
  SANDBOX_UDF_DIR,
} from '../helpers/index.js';

const FIXTURE = join(REPO_ROOT, 'test/fixtures/adsl/broadcom-xdslctl-info-stats-1.txt');
const OUTPUT = 'test/fixtures/current.txt';

type Row = Record<string, unknown> & { time: number };

/**
 * Rows of every series, time in ns as a JSON number: exact to 256 ns at today's times, which is
 * why computed values are compared to 1e-6 relative.
 */
function rowsOf(series: QuerySeries[]): Row[] {
  return series
    .flatMap((s) =>
      s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) }) as Row),
    )
    .sort((a, b) => a.time - b.time);
}

const close = (a: number, b: number, what: string): void =>
  assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${what}: ${a} != ${b}`);
const seconds = (ns: number): number => ns / 1e9;

describe('the sandbox data path: router, poller, InfluxDB, Kapacitor, host', () => {
  let influx: Influxd;
  let host: HostProcess;
  let kapacitor: Kapacitord;
  let sshd: SshdHandle;
  let poll: PollProcess | undefined;
  let root: string;

  before(async () => {
    influx = await Influxd.start({ subscriber: true });
    await influx.exec('CREATE DATABASE adsl');
    host = await HostProcess.start([], { udfDir: SANDBOX_UDF_DIR });
    kapacitor = await Kapacitord.start({ socketDir: host.socketDir, influxUrl: influx.url });
    // The simulated router prints whatever the test puts in its status file.
    root = mkdtempSync(join(tmpdir(), 'kudf-e2e-router-'));
    mkdirSync(join(root, 'test/fixtures'), { recursive: true });
    copyFileSync(FIXTURE, join(root, OUTPUT));
    sshd = await startSshd({ root });
  });

  after(async () => {
    if (poll?.running === true) poll.child.kill('SIGTERM');
    await poll?.exited;
    await kapacitor?.stop();
    await host?.stop();
    await influx?.stop();
    await sshd?.stop();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('turns polls of a line that retrains into every TICKscript output its header promises', async () => {
    const showtime = readFileSync(FIXTURE, 'utf8');
    const training = showtime.replace(/^Status: Showtime$/m, 'Status: G.994 Training');
    assert.notEqual(training, showtime);
    const configPath = join(root, 'poll.json');
    writePollConfig(configPath, {
      routers: [
        {
          name: 'dsl-1',
          port: sshd.port,
          user: sshd.user,
          command: `cat ${OUTPUT}`,
          auth: { privateKeyFile: sshd.clientKeyPath },
          fingerprint: sshd.hostFingerprint,
        },
      ],
      influxUrl: influx.url,
      db: 'adsl',
      queueDir: join(root, 'queue'),
      intervalS: 1,
    });
    poll = PollProcess.start(configPath);
    const phase = async (text: string, polls: number): Promise<void> => {
      writeFileSync(join(root, OUTPUT), text);
      const until = poll!.polls().length + polls;
      await waitFor(`${polls} polls`, async () => poll!.polls().length >= until, 30_000, 50);
    };
    await phase(showtime, 3);
    await phase(training, 2);
    await phase(showtime, 3);
    await phase(training, 1);
    poll.child.kill('SIGTERM');
    await poll.exited;

    const states = rowsOf(
      await influx.query('adsl', 'SELECT "value", "state_class" FROM adsl_connection GROUP BY "host"'),
    );
    assert.ok(states.length >= 9, `only ${states.length} polls stored`);
    // changeDetect's semantics on what InfluxDB holds: the first point, then every change.
    const expected: Array<{ time: number; value: unknown; prev_value: unknown; prev_duration: unknown }> = [];
    for (const s of states) {
      const prev = expected.at(-1);
      if (prev !== undefined && prev.value === s['value']) continue;
      expected.push({
        time: s.time,
        value: s['value'],
        prev_value: prev?.value ?? null,
        prev_duration: prev === undefined ? null : seconds(s.time - prev.time),
      });
    }
    assert.ok(expected.length >= 4);

    let changes: Row[] = [];
    await waitFor(
      'adsl_state_changes',
      async () =>
        (changes = rowsOf(await influx.query('adsl', 'SELECT * FROM adsl_state_changes GROUP BY *'))).length >=
        expected.length,
      30_000,
      250,
    );
    assert.deepEqual(
      changes.map((c) => ({
        time: c.time,
        value: c['value'],
        prev_value: c['prev_value'] ?? null,
        first: c['prev_duration'] === undefined || c['prev_duration'] === null,
      })),
      expected.map((e) => ({
        time: e.time,
        value: e.value,
        prev_value: e.prev_value,
        first: e.prev_duration === null,
      })),
    );
    for (const [i, c] of changes.entries()) {
      assert.equal(c['host'], 'dsl-1');
      assert.equal(c['source'], 'kapacitor');
      const e = expected[i]!;
      if (e.prev_duration !== null) close(c['prev_duration'] as number, e.prev_duration as number, 'prev_duration (s)');
    }
    const alerts = readFileSync(join(kapacitor.dataDir, 'adsl_alerts.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: string; time: string; id: string });
    const trainings = expected.filter((e) => e.value === 'G.994 Training');
    const critical = alerts.filter((a) => a.level === 'CRITICAL');
    assert.equal(critical.length, trainings.length);
    for (const [i, a] of critical.entries())
      assert.ok(Math.abs(Date.parse(a.time) - trainings[i]!.time / 1e6) <= 1, `alert at ${a.time}`);
    assert.ok(alerts.every((a) => a.id === 'adsl-line/dsl-1'));

    // Line metrics: moving average over the last 10 polls, EWMA with a 30-minute half-life,
    // and the running integral of the sync rate.
    const lines = rowsOf(
      await influx.query(
        'adsl',
        'SELECT "snr_margin_down_db", "attenuation_down_db", "sync_rate_down_kbps" FROM adsl_line GROUP BY "host"',
      ),
    );
    assert.equal(lines.length, states.length);
    let smoothed: Row[] = [];
    let capacity: Row[] = [];
    await waitFor(
      'smoothed and capacity outputs',
      async () => {
        smoothed = rowsOf(await influx.query('adsl', 'SELECT * FROM adsl_line_smoothed GROUP BY *'));
        capacity = rowsOf(await influx.query('adsl', 'SELECT * FROM adsl_line_capacity GROUP BY *'));
        return (
          smoothed.filter((r) => r['attenuation_down_db_ewma'] !== null && r['snr_margin_down_db_avg'] !== null)
            .length >= lines.length && capacity.length >= lines.length
        );
      },
      30_000,
      250,
    );
    let ewma = 0;
    let total = 0;
    for (const [i, l] of lines.entries()) {
      const s = smoothed[i]!;
      assert.equal(s.time, l.time);
      const window = lines.slice(Math.max(0, i - 9), i + 1).map((x) => x['snr_margin_down_db'] as number);
      close(
        s['snr_margin_down_db_avg'] as number,
        window.reduce((a, b) => a + b, 0) / window.length,
        'snr_margin_down_db_avg',
      );
      const x = l['attenuation_down_db'] as number;
      if (i === 0) ewma = x;
      else {
        const alpha = 1 - 2 ** (-seconds(l.time - lines[i - 1]!.time) / 1800);
        ewma = alpha * x + (1 - alpha) * ewma;
      }
      close(s['attenuation_down_db_ewma'] as number, ewma, 'attenuation_down_db_ewma');
      if (i > 0)
        total +=
          (((l['sync_rate_down_kbps'] as number) + (lines[i - 1]!['sync_rate_down_kbps'] as number)) / 2) *
          seconds(l.time - lines[i - 1]!.time);
      assert.equal(capacity[i]!.time, l.time);
      close(capacity[i]!['sync_capacity_down_kbit'] as number, total, 'sync_capacity_down_kbit');
    }

    // mirror.tick logs every adsl_poll point that came back through the host.
    const polls = rowsOf(await influx.query('adsl', 'SELECT "success" FROM adsl_poll GROUP BY "host"'));
    await waitFor(
      'mirror log lines',
      async () => kapacitor.log.split('\n').filter((l) => l.includes('prefix=mirror')).length >= polls.length,
      20_000,
      100,
    );
    assert.equal(
      kapacitor.log.split('\n').filter((l) => l.includes('prefix=mirror') && l.includes('name=adsl_poll')).length,
      polls.length,
    );

    // The batch scripts run every 10 minutes or every hour; a replay runs each once now over
    // its own query, limited to the polls of this test.
    const span = `time >= ${states[0]!.time - 1e6} AND time <= ${states.at(-1)!.time + 1e6}`;
    const scriptQuery = (task: string): string => {
      const m = /\|query\('(.*)'\)/.exec(readFileSync(join(REPO_ROOT, 'tickscripts', `${task}.tick`), 'utf8'));
      assert.ok(m !== null, `${task} has no query`);
      return `${m[1]} WHERE ${span} GROUP BY "host"`;
    };
    for (const task of ['adsl_state_changes_hourly', 'adsl_sync_volume_hourly', 'adsl_snr_outliers'])
      await kapacitor.replayQuery(task, scriptQuery(task));
    let hourly: Row[] = [];
    let volume: Row[] = [];
    await waitFor(
      'the batch outputs',
      async () => {
        hourly = rowsOf(await influx.query('adsl', 'SELECT * FROM adsl_state_changes_hourly GROUP BY *'));
        volume = rowsOf(await influx.query('adsl', 'SELECT * FROM adsl_line_capacity_hourly GROUP BY *'));
        return hourly.length >= expected.length && volume.length >= 1;
      },
      30_000,
      250,
    );
    // One batch: its first state, then every change, each with the state it left.
    assert.deepEqual(
      hourly.map((h) => ({ time: h.time, host: h['host'], value: h['value'], prev_value: h['prev_value'] ?? null })),
      expected.map((e) => ({ time: e.time, host: 'dsl-1', value: e.value, prev_value: e.prev_value })),
    );
    // One total per line and batch, in kilobits: the same trapezoids as the running integral.
    assert.equal(volume.length, 1);
    assert.equal(volume[0]!['host'], 'dsl-1');
    close(volume[0]!['sync_capacity_down_kbit'] as number, total, 'sync_capacity_down_kbit per batch');
    // The SNR margin never moved, so no reading lies outside the Tukey fences.
    assert.deepEqual(rowsOf(await influx.query('adsl', 'SELECT * FROM adsl_snr_outliers')), []);
    assert.deepEqual(kapacitor.errorLines(), []);
  });
});
