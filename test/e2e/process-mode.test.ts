/**
 * Kapacitor's process mode on a real Kapacitor (see test/helpers/kapacitor.ts; Kapacitor's source
 * is never copied into this repository): the [udf] blocks are what `kudf functions --conf
 * --process` prints, so kapacitord itself starts `kudf serve --stdio <function>` for Info at
 * start-up and once per task, over pipes. docs/deployment.md promises one process per task, each
 * task's process on its own, and the user's --udf-dir functions in each process.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type ChildOf, Influxd, Kapacitord, SANDBOX_UDF_DIR, waitFor } from '../helpers/index.js';
import { edgeScript, influxOut, steadyLoad, steadyScript } from './tasks.js';

const DB = 'e2e';
const S = 1_000_000_000n;
const T0 = 1_700_000_000n * S;
const at = (s: number): bigint => T0 + BigInt(s) * S;
const ms = (s: number): number => Number(at(s) / 1_000_000n);

const EDGE = edgeScript(DB, 'edge_out', { dbrp: true });

// scale is the sandbox's example of a user's own function (docker/udfs/scale.mjs): it reaches the
// process only through the --udf-dir in its args.
const SCALE = [
  `dbrp "${DB}"."autogen"`,
  'stream',
  '    |from()',
  "        .measurement('rate')",
  "        .groupBy('host')",
  '    @scale()',
  "        .field('v')",
  '        .factor(0.5)',
  "        .as('half')",
  influxOut(DB, 'scale_out'),
].join('\n');

const servedFunction = (c: ChildOf): string | undefined => c.args[c.args.indexOf('--stdio') + 1];

/** Rows of every series: the group's tags, then the time in ms (JSON numbers carry ns times only to 0.1 µs), then the fields. */
async function rows(influx: Influxd, query: string): Promise<unknown[][]> {
  const series = await influx.query(DB, query);
  return series.flatMap((s) =>
    s.values.map((v) => [...Object.values(s.tags ?? {}), Math.round((v[0] as number) / 1e6), ...v.slice(1)]),
  );
}

async function waitRows(influx: Influxd, query: string, n: number): Promise<unknown[][]> {
  await waitFor(`${n} rows of ${query}`, async () => (await rows(influx, query)).length >= n, 30_000, 100);
  await new Promise((r) => setTimeout(r, 300));
  return rows(influx, query);
}

describe("Kapacitor's process mode on a real Kapacitor", () => {
  let influx: Influxd;
  let kapacitor: Kapacitord;

  before(async () => {
    influx = await Influxd.start();
    await influx.exec(`CREATE DATABASE ${DB}`);
    // No `kudf serve` runs: the socket directory kapacitord sees stays empty.
    kapacitor = await Kapacitord.start({
      influxUrl: influx.url,
      tasksDir: null,
      udfDir: SANDBOX_UDF_DIR,
      processMode: true,
      udfTimeout: '2s',
    });
  });

  after(async () => {
    await kapacitor?.stop();
    await influx?.stop();
  });

  it("answers Kapacitor's start-up Info from processes that all exit once it has its answer", async () => {
    // kapacitord answers /ping only after every function's Info: each came from a process it started.
    const conf = readFileSync(kapacitor.confPath, 'utf8');
    assert.match(
      conf,
      /\[udf\.functions\.scale\]\n {2}prog = ".*\/kudf"\n {2}args = \["serve", "--stdio", "scale", "--udf-dir", /,
    );
    assert.doesNotMatch(conf, /socket = /);
    await waitFor('no kudf process left from Info', async () => kapacitor.udfProcesses().length === 0, 10_000, 100);
    // A function Kapacitor knows from Info: a task calling an unknown one is refused at define.
    assert.match(await kapacitor.define('nope', EDGE.replace('@edgeDetect()', '@noSuchUdf()')), /noSuchUdf/);
  });

  it('starts one process per task, and each computes its function over pipes', async () => {
    assert.equal(await kapacitor.define('edge', EDGE), '');
    assert.equal(await kapacitor.define('scaled', SCALE), '');
    await kapacitor.waitExecuting(['edge', 'scaled']);
    const procs = kapacitor.udfProcesses();
    assert.deepEqual(procs.map(servedFunction).sort(), ['edgeDetect', 'scale'], JSON.stringify(procs));
    assert.ok(
      procs.every((p) => p.state !== 'Z'),
      JSON.stringify(procs),
    );
    await kapacitor.write(DB, 'autogen', [
      `state,host=a value="SHOWTIME" ${at(0)}`,
      `state,host=b value="SHOWTIME" ${at(0)}`,
      `state,host=a value="SHOWTIME" ${at(10)}`,
      `state,host=a value="TRAINING" ${at(20)}`,
      `rate,host=a v=3000 ${at(0)}`,
      `rate,host=b v=-1.5 ${at(5)}`,
    ]);
    assert.deepEqual(await waitRows(influx, 'SELECT "value", "prev_value", "dur" FROM "edge_out" GROUP BY "host"', 3), [
      ['a', ms(0), 'SHOWTIME', null, null],
      ['a', ms(20), 'TRAINING', 'SHOWTIME', 20],
      ['b', ms(0), 'SHOWTIME', null, null],
    ]);
    assert.deepEqual(await waitRows(influx, 'SELECT "v", "half" FROM "scale_out" GROUP BY "host"', 2), [
      ['a', ms(0), 3000, 1500],
      ['b', ms(5), -1.5, -0.75],
    ]);
  });

  it("a task whose process is killed stops alone: the other task's process goes on", async () => {
    const edge = kapacitor.udfProcesses().find((p) => servedFunction(p) === 'edgeDetect');
    assert.ok(edge !== undefined);
    const mark = kapacitor.log.length;
    process.kill(edge.pid, 'SIGKILL');
    // Kapacitor notices a lost process by its keepalives: no answer for the timeout aborts the
    // node (the task itself stays listed as executing until it is disabled).
    await waitFor(
      'Kapacitor to abort the edge node',
      async () => /task=edge .*keepalive timedout/.test(kapacitor.log.slice(mark)),
      20_000,
      100,
    );
    await kapacitor.write(DB, 'autogen', [`rate,host=a v=10 ${at(30)}`]);
    assert.deepEqual((await waitRows(influx, 'SELECT "v", "half" FROM "scale_out" GROUP BY "host"', 3)).slice(1, 2), [
      ['a', ms(30), 10, 5],
    ]);
    const scaled = await kapacitor.task('scaled');
    assert.deepEqual([scaled.executing, scaled.error], [true, '']);
    assert.deepEqual(
      kapacitor.errorLines().filter((l) => /task=scaled\b/.test(l)),
      [],
    );
    // Enabling the task again starts a new process, from a clean state.
    assert.equal(await kapacitor.setStatus('edge', 'disabled'), '');
    assert.equal(await kapacitor.setStatus('edge', 'enabled'), '');
    await kapacitor.waitExecuting(['edge']);
    await kapacitor.write(DB, 'autogen', [`state,host=a value="SHOWTIME" ${at(40)}`]);
    const edgeRows = await waitRows(influx, 'SELECT "value", "prev_value", "dur" FROM "edge_out" GROUP BY "host"', 4);
    assert.deepEqual(edgeRows[2], ['a', ms(40), 'SHOWTIME', null, null]);
    const procs = kapacitor.udfProcesses();
    assert.deepEqual(procs.map(servedFunction).sort(), ['edgeDetect', 'scale']);
    assert.ok(!procs.some((p) => p.pid === edge.pid));
  });

  it('disabling or deleting a task ends its process', async () => {
    assert.equal(await kapacitor.setStatus('scaled', 'disabled'), '');
    await waitFor(
      'the scale process to exit',
      async () => !kapacitor.udfProcesses().some((p) => servedFunction(p) === 'scale'),
      10_000,
      100,
    );
    await kapacitor.deleteTask('edge');
    await waitFor('no kudf process left', async () => kapacitor.udfProcesses().length === 0, 10_000, 100);
  });

  it('answers every keepalive of a 2 s timeout under 15 s of steady load', async () => {
    const logMark = kapacitor.log.length;
    assert.equal(await kapacitor.define('steady', steadyScript(DB)), '');
    await kapacitor.waitExecuting(['steady']);
    assert.deepEqual(kapacitor.udfProcesses().map(servedFunction).sort(), ['mirror', 'movingAverage']);
    const sent = await steadyLoad(kapacitor, DB, 'steady', 15_000);
    assert.ok(!/keepalive/i.test(kapacitor.log.slice(logMark)), 'Kapacitor logged a keepalive problem');
    assert.ok(sent >= 10_000, `only ${sent} points were sent`);
  });
});
