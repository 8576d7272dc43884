/**
 * `transport: http` end to end: `kudf poll --once` as a child process with a real config file,
 * polling loopback web boxes that serve real router pages (test/fixtures/adsl-web/) behind form,
 * basic and no login, writing into a real influxd; the points are queried back and compared,
 * field by field and type by type, with what each page's expected.json says it holds.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LINE_METRIC_KEYS } from '../../src/ingest/parsers/index.js';
import type { LineStatus } from '../../src/ingest/parsers/index.js';
import {
  Influxd,
  KUDF,
  REPO_ROOT,
  startWebBox,
  WEB_BOX_FORM as FORM,
  WEB_BOX_FORM_LOGIN,
  type WebBox,
} from '../helpers/index.js';

const WEB = join(REPO_ROOT, 'test', 'fixtures', 'adsl-web');
const page = (name: string): string => readFileSync(join(WEB, `${name}.txt`), 'utf8');
const expected = (name: string): LineStatus =>
  JSON.parse(readFileSync(join(WEB, `${name}.expected.json`), 'utf8')) as LineStatus;
const PASSWORD = 'Web-Ui-Pw:7f3a&x=1';
const DB = 'webpages';

/** One router per page kind and login; `parser: auto` for one, so detection runs on the wire too. */
const ROUTERS = [
  {
    name: 'zyxel',
    fixture: 'zyxel-vmg1312-b10a-xdsl-statistics-1',
    path: '/pages/systemMonitoring/xdslStatistics/GetxdslStatistics.html',
    parser: 'auto',
    login: 'form' as const,
  },
  {
    name: 'speedport',
    fixture: 'speedport-w925v-dsl-hidden-status-1',
    path: '/engineer/html/dsl_hidden_status.stm',
    parser: 'speedport',
    login: 'basic' as const,
  },
  {
    name: 'bthub',
    fixture: 'bthub-smarthub-wan-linestatus-rate-list-1',
    path: '/nonAuth/wan_conn.xml',
    parser: 'bthub',
    login: 'none' as const,
  },
];

type Row = Record<string, unknown>;

async function rowsOf(influxd: Influxd, measurement: string, host: string): Promise<Row[]> {
  const s = (await influxd.query(DB, `SELECT * FROM "${measurement}" WHERE "host" = '${host}'`))[0];
  if (s === undefined) return [];
  return s.values.map((v) => Object.fromEntries(s.columns.map((c, i) => [c, v[i]])));
}

/** `kudf poll --once` to its exit; the web boxes run in this process, so the child must not block it. */
function pollOnce(config: string): Promise<{ code: number | null; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^INFLUX/.test(k)));
  const child = spawn(process.execPath, [KUDF, 'poll', '--config', config, '--once', '--log-level', 'info'], {
    cwd: REPO_ROOT,
    env: { ...env, WEB_PW: PASSWORD },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

describe('kudf poll over http into InfluxDB 1.x', () => {
  let influxd: Influxd;
  let scratch: string;
  const boxes: WebBox[] = [];
  let run: { code: number | null; stderr: string };

  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'kudf-poll-http-influx-'));
    influxd = await Influxd.start();
    await influxd.exec(`CREATE DATABASE ${DB}`);
    const routers = [];
    for (const r of ROUTERS) {
      const box = await startWebBox({
        login: r.login,
        user: 'admin',
        password: PASSWORD,
        pages: { [r.path]: page(r.fixture) },
        ...(r.login === 'form' ? { form: FORM } : {}),
      });
      boxes.push(box);
      routers.push({
        name: r.name,
        address: '127.0.0.1',
        port: box.port,
        transport: 'http',
        parser: r.parser,
        tags: { site: 'lab' },
        ...(r.login === 'none' ? {} : { user: 'admin', auth: { passwordEnv: 'WEB_PW' } }),
        http: {
          url: r.path,
          login: r.login,
          ...(r.login === 'form' ? { form: WEB_BOX_FORM_LOGIN } : {}),
        },
      });
    }
    const config = join(scratch, 'poll.json');
    writeFileSync(
      config,
      JSON.stringify({
        queueDir: join(scratch, 'queue'),
        influx: { url: influxd.url, db: DB, flushInterval: 100, timeout: 5000 },
        defaults: { interval: 60, timeout: '5s', connectTimeout: '5s' },
        routers,
      }),
    );
    run = await pollOnce(config);
  });

  after(async () => {
    for (const b of boxes) await b.close();
    await influxd?.stop();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  });

  it('polls every web box once, logs in as each asks, and exits 0', () => {
    assert.equal(run.code, 0, run.stderr);
    for (const box of boxes) assert.equal(box.served, 1);
    assert.equal(boxes[0]?.logins, 1, 'the form login happened once');
    assert.ok(!run.stderr.includes(PASSWORD), 'the password is never logged');
  });

  for (const r of ROUTERS) {
    describe(`${r.name} (${r.login} login, parser ${r.parser})`, () => {
      it('stores one successful adsl_poll point with the router tags', async () => {
        const polls = await rowsOf(influxd, 'adsl_poll', r.name);
        assert.equal(polls.length, 1);
        assert.equal(polls[0]?.['success'], true);
        assert.equal(polls[0]?.['error_class'], 'none');
        assert.equal(polls[0]?.['site'], 'lab');
      });

      it('stores the state as adsl_connection', async () => {
        const want = expected(r.fixture);
        const conn = await rowsOf(influxd, 'adsl_connection', r.name);
        assert.equal(conn.length, 1);
        assert.equal(conn[0]?.['value'], want.state);
        assert.equal(conn[0]?.['state_class'], want.state_class);
        assert.equal(conn[0]?.['line_up'], want.line_up);
      });

      it('stores every value the page holds in adsl_line, and nothing else', async () => {
        const want = expected(r.fixture);
        const line = await rowsOf(influxd, 'adsl_line', r.name);
        assert.equal(line.length, 1);
        const stored = Object.fromEntries(
          Object.entries(line[0] ?? {}).filter(([k, v]) => !['time', 'host', 'site'].includes(k) && v !== null),
        );
        const wanted = Object.fromEntries(
          Object.entries(want).filter(
            ([k]) => k in LINE_METRIC_KEYS || ['mode', 'profile', 'counters_scope'].includes(k),
          ),
        );
        assert.deepEqual(stored, wanted);
      });
    });
  }

  it('types the adsl_line fields as the key scheme says: integers, floats and strings', async () => {
    const series = await influxd.query(DB, 'SHOW FIELD KEYS FROM "adsl_line"');
    const types = Object.fromEntries((series[0]?.values ?? []).map((v) => [String(v[0]), String(v[1])]));
    assert.ok(Object.keys(types).length > 10);
    for (const [key, type] of Object.entries(types)) {
      const kind = (LINE_METRIC_KEYS as Record<string, string>)[key];
      const want = kind === 'int' ? 'integer' : kind === 'float' ? 'float' : 'string';
      assert.equal(type, want, key);
    }
  });
});
