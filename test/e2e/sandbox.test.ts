/**
 * The sandbox without containers: a real InfluxDB (Debian's 1.x), `kudf serve` with the
 * sandbox's functions, and a real Kapacitor built from its Go module (see test/helpers/kapacitor.ts)
 * running the sandbox's kapacitor.conf and every TICKscript in tickscripts/.
 *
 * Kapacitor's source code is never copied into this repository: the binaries come from a Go
 * module of ours (test/kapacitor/<version>/) that requires Kapacitor's, built by
 * scripts/build-kapacitor.sh.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
// JSON numbers carry nanosecond times only to about 0.1 µs: times are compared in milliseconds,
// the fixture's precision.
import {
  HostProcess,
  KUDF,
  Influxd,
  waitFor,
  Kapacitord,
  SANDBOX_CONF,
  SANDBOX_UDF_DIR,
  TICKSCRIPTS,
  rewriteSandboxConf,
  udfConfBlocks,
} from '../helpers/index.js';
import { publishLines, seedStateTable } from './seed.js';

describe('the sandbox on a real Kapacitor', () => {
  let influx: Influxd;
  let host: HostProcess;
  let kapacitor: Kapacitord;

  before(async () => {
    influx = await Influxd.start({ subscriber: true });
    // The poller creates the database in the sandbox; Kapacitor subscribes to the databases that
    // exist when it starts (and re-syncs every subscriptions-sync-interval).
    await influx.exec('CREATE DATABASE adsl');
    host = await HostProcess.start([], { udfDir: SANDBOX_UDF_DIR });
    kapacitor = await Kapacitord.start({ socketDir: host.socketDir, influxUrl: influx.url });
  });

  after(async () => {
    await kapacitor?.stop();
    await host?.stop();
    await influx?.stop();
  });

  it('runs on the sandbox config with only addresses, ports and timeouts changed, and [udf] exactly as kudf functions --conf prints it', () => {
    const sandbox = parseToml(readFileSync(SANDBOX_CONF, 'utf8'));
    const generated = parseToml(readFileSync(kapacitor.confPath, 'utf8'));
    const printed = parseToml(udfConfBlocks());
    assert.deepEqual(generated['udf'], printed['udf']);
    // The sandbox's own [udf] blocks are what kudf prints for its functions, too.
    assert.deepEqual(sandbox['udf'], generated['udf']);
    const changed: string[] = [];
    const walk = (a: unknown, b: unknown, path: string): void => {
      if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
        for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
          walk(
            (a as Record<string, unknown>)[key],
            (b as Record<string, unknown>)[key],
            path === '' ? key : `${path}.${key}`,
          );
        }
      } else if (JSON.stringify(a) !== JSON.stringify(b)) changed.push(path);
    };
    walk(sandbox, generated, '');
    assert.deepEqual(changed.sort(), [
      'hostname',
      'http.bind-address',
      'influxdb.0.startup-timeout',
      'influxdb.0.subscriptions-sync-interval',
      'influxdb.0.urls.0',
    ]);
    assert.throws(
      () =>
        rewriteSandboxConf('hostname = "x"\n', {
          httpPort: 1,
          influxUrl: undefined,
          snapshotInterval: '1s',
          udfBlocks: '',
        }),
      /expected one match/,
    );
  });

  it('starts: every socket answers Info and every TICKscript in tickscripts/ is defined and executing, with no error logged', async () => {
    const health = spawnSync(process.execPath, [KUDF, 'health', '--socket-dir', host.socketDir], { encoding: 'utf8' });
    assert.equal(health.status, 0, health.stdout + health.stderr);
    const configured = Object.keys(
      (parseToml(readFileSync(kapacitor.confPath, 'utf8'))['udf'] as { functions: Record<string, unknown> }).functions,
    );
    assert.ok(configured.includes('edgeDetect') && configured.includes('scale'));
    for (const name of configured)
      assert.match(health.stdout, new RegExp(`\\b${name}\\b`), `${name} is not among the sockets that answered`);
    const scripts = readdirSync(TICKSCRIPTS)
      .filter((f) => f.endsWith('.tick'))
      .map((f) => f.replace(/\.tick$/, ''));
    assert.ok(scripts.length >= 8);
    await kapacitor.waitExecuting(scripts);
    const tasks = await kapacitor.tasks();
    for (const id of scripts) {
      const task = tasks.find((t) => t.id === id);
      assert.ok(task !== undefined, `task ${id} is not defined`);
      assert.equal(task.status, 'enabled');
      assert.equal(task.error, '');
      assert.equal(task.script.trim(), readFileSync(join(TICKSCRIPTS, `${id}.tick`), 'utf8').trim());
    }
    assert.deepEqual(kapacitor.errorLines(), []);
  });

  it('turns the seed ADSL table, written to InfluxDB with kudf publish, into adsl_state_changes with prev_value and prev_duration, and TRAINING alerts', async () => {
    const seed = seedStateTable();
    const pub = publishLines(seed.lines, [
      '--influx-url',
      influx.url,
      '--influx-db',
      'adsl',
      '--influx-rp',
      'autogen',
      '--queue-dir',
      join(kapacitor.dir, 'queue'),
    ]);
    assert.equal(pub.status, 0, pub.stderr);
    // influxDBOut flushes every 10 s by default.
    let rows: unknown[][] = [];
    let columns: string[] = [];
    await waitFor(
      'adsl_state_changes',
      async () => {
        const s = await influx.query('adsl', 'SELECT * FROM adsl_state_changes');
        rows = s[0]?.values ?? [];
        columns = s[0]?.columns ?? [];
        return rows.length >= seed.changes.length;
      },
      40_000,
      250,
    );
    const got = rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]])));
    assert.deepEqual(
      got.map((r) => ({
        timeMs: Math.round((r['time'] as number) / 1e6),
        host: r['host'],
        source: r['source'],
        value: r['value'],
        prev_value: r['prev_value'] ?? null,
        prev_duration: r['prev_duration'] ?? null,
      })),
      seed.changes.map((c) => ({
        timeMs: Number(c.time / 1_000_000n),
        host: 'router1',
        source: 'kapacitor',
        value: c.value,
        prev_value: c.prevValue ?? null,
        prev_duration: c.prevDurationS ?? null,
      })),
    );
    const alerts = readFileSync(join(kapacitor.dataDir, 'adsl_alerts.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; level: string; time: string; message: string });
    const critical = alerts.filter((a) => a.level === 'CRITICAL');
    const training = seed.changes.filter((c) => c.value === 'TRAINING');
    assert.equal(critical.length, training.length);
    for (const [i, a] of critical.entries()) {
      assert.equal(a.id, 'adsl-line/router1');
      assert.equal(Date.parse(a.time), Number(training[i]!.time / 1_000_000n));
      assert.equal(a.message, `router1: line is TRAINING (was SHOWTIME for ${training[i]!.prevDurationS} s)`);
    }
    // Every TRAINING but a last one is cleared by the change back.
    assert.equal(
      alerts.filter((a) => a.level === 'OK').length,
      training.length - (seed.changes.at(-1)?.value === 'TRAINING' ? 1 : 0),
    );
    assert.deepEqual(kapacitor.errorLines(), []);
  });
});
