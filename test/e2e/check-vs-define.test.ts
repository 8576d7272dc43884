/**
 * `kudf check` against a real Kapacitor's define: for each TICKscript of
 * test/fixtures/tickscripts/, both must accept it or both refuse it, and at the same stage —
 * refused when defined (`define`), or defined and failing when its UDF starts (`start`).
 * Tasks are defined as Kapacitor's load directory defines them (enabled, no dbrp, no type given),
 * so a `define` verdict is one that keeps kapacitord from starting with that file in tickscripts/;
 * the last test shows that with a load directory.
 *
 * Both messages are snapshots in test/fixtures/tickscripts/verdicts.json, shown as a table in
 * docs/kapacitor.md. RECORD_CHECK_VERDICTS=1 re-records Kapacitor's messages and the table.
 *
 * Kapacitor's source code is never copied into this repository: the binaries come from a Go module
 * of ours (test/kapacitor/<version>/) that requires Kapacitor's, built by scripts/build-kapacitor.sh.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  waitFor,
  HostProcess,
  KUDF,
  type LogLine,
  Influxd,
  Kapacitord,
  SANDBOX_CONF,
  SANDBOX_PATHS,
  kapacitorBin,
  rewriteSandboxConf,
  udfConfBlocks,
  CASES_DIR,
  SANDBOX_UDF_DIR,
  caseFiles,
  expectedVerdict,
  readVerdicts,
  renderTable,
  runKudfCheck,
  writeTableToDoc,
  writeVerdicts,
  type CaseVerdicts,
  type Verdict,
} from '../helpers/index.js';

const RECORD = process.env['RECORD_CHECK_VERDICTS'] === '1';

const taskIdOf = (l: LogLine): unknown => l['taskID'] ?? l['taskId'] ?? l['task'];

describe('kudf check agrees with Kapacitor define', () => {
  let influx: Influxd;
  let host: HostProcess;
  let kapacitor: Kapacitord;
  const recorded = readVerdicts();
  const seen: Record<string, CaseVerdicts> = {};

  before(async () => {
    // Batch tasks query InfluxDB when they start: without one they fail whatever their UDFs.
    influx = await Influxd.start();
    await influx.exec('CREATE DATABASE kudf');
    host = await HostProcess.start([], { udfDir: SANDBOX_UDF_DIR });
    kapacitor = await Kapacitord.start({ socketDir: host.socketDir, tasksDir: null, influxUrl: influx.url });
  });

  after(async () => {
    await kapacitor?.stop();
    await host?.stop();
    await influx?.stop();
    if (RECORD && Object.keys(seen).length === caseFiles().length) {
      writeVerdicts(seen);
      writeTableToDoc(renderTable(seen));
    }
  });

  /** Kapacitor lists the names in scope in Go's random map order: compared sorted. */
  function sortedScope(message: string): string {
    return message.replace(
      /(Names in scope: )([\w,]+)/,
      (_, head: string, names: string) => head + names.split(',').sort().join(','),
    );
  }

  /** Defines the script as the load directory does and waits until each of its UDFs has answered Init. */
  async function kapacitorVerdict(
    id: string,
    script: string,
    udfCalls: number,
  ): Promise<{ verdict: Verdict; message: string }> {
    const refused = await kapacitor.define(id, script);
    if (refused !== '') {
      await kapacitor.deleteTask(id);
      return { verdict: 'define', message: sortedScope(refused) };
    }
    const inits = (): LogLine[] =>
      host.logs.filter((l) => taskIdOf(l) === id && (l.msg === 'session initialised' || l.msg === 'init rejected'));
    await waitFor(
      `${id}: Init of its ${udfCalls} UDF node(s)`,
      () => Promise.resolve(inits().length >= udfCalls),
      20_000,
    );
    let task = await kapacitor.task(id);
    if (inits().some((l) => l.msg === 'init rejected')) {
      // Kapacitor learns of it from the InitResponse; its task stops with that error.
      await waitFor(`${id}: the task's error`, async () => {
        task = await kapacitor.task(id);
        return task.error !== '';
      });
    }
    await kapacitor.deleteTask(id);
    return task.error !== '' || !task.executing
      ? { verdict: 'start', message: task.error }
      : { verdict: 'ok', message: '' };
  }

  for (const file of caseFiles()) {
    it(`${file}: kudf check and Kapacitor give the same verdict`, async () => {
      const kudf = runKudfCheck(file);
      const id = file.replace(/\.tick$/, '').replace(/[^A-Za-z0-9_.-]/g, '_');
      const script = readFileSync(join(CASES_DIR, file), 'utf8');
      const udfCalls = kudf.verdict === 'define' ? 0 : (script.match(/^\s*@\w+\(/gm) ?? []).length;
      const kap = await kapacitorVerdict(id, script, udfCalls);
      seen[file] = { kudf, kapacitor: kap };
      assert.equal(kap.verdict, expectedVerdict(file), `Kapacitor: ${kap.message}`);
      assert.equal(kudf.verdict, kap.verdict, `kudf check: ${kudf.problems.join('; ')}; Kapacitor: ${kap.message}`);
      assert.equal(kudf.exitCode, kudf.verdict === 'ok' ? 0 : 1);
      if (!RECORD)
        assert.deepEqual(
          seen[file],
          recorded[file],
          'the messages differ from verdicts.json (RECORD_CHECK_VERDICTS=1 re-records them)',
        );
    });
  }
});

describe('one bad TICKscript in the load directory', () => {
  /**
   * kapacitord on the sandbox config, its paths moved into a temp dir, loading `tasks`; resolves
   * with its exit code and log once it exits (or after 60 s with code null).
   */
  async function runKapacitord(tasks: string, socketDir: string): Promise<{ code: number | null; log: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'kudf-kapacitor-load-'));
    try {
      mkdirSync(join(dir, 'load'));
      symlinkSync(tasks, join(dir, 'load', 'tasks'));
      const conf = rewriteSandboxConf(readFileSync(SANDBOX_CONF, 'utf8'), {
        httpPort: await freePort(),
        influxUrl: undefined,
        snapshotInterval: '60s',
        udfBlocks: udfConfBlocks(),
      })
        .replaceAll(SANDBOX_PATHS.data, join(dir, 'data'))
        .replaceAll(SANDBOX_PATHS.load, join(dir, 'load'))
        .replaceAll(SANDBOX_PATHS.sockets, socketDir);
      writeFileSync(join(dir, 'kapacitor.conf'), conf);
      const child = spawn(kapacitorBin('kapacitord'), ['-config', join(dir, 'kapacitor.conf')], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let log = '';
      child.stderr.setEncoding('utf8').on('data', (t: string) => (log += t));
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve(null);
        }, 60_000);
        child.once('exit', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      return { code, log };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('makes kapacitord exit at start-up, and kudf check finds it first', async () => {
    const host = await HostProcess.start([], { udfDir: SANDBOX_UDF_DIR });
    const tasks = mkdtempSync(join(tmpdir(), 'kudf-load-tasks-'));
    try {
      copyFileSync(join(CASES_DIR, 'good-mirror.tick'), join(tasks, 'a_good.tick'));
      copyFileSync(join(CASES_DIR, 'bad-syntax-unclosed-call.tick'), join(tasks, 'b_bad.tick'));
      copyFileSync(join(CASES_DIR, 'good-moving-average.tick'), join(tasks, 'c_good.tick'));
      const res = spawnSync(
        process.execPath,
        [
          KUDF,
          'check',
          '--udf-dir',
          SANDBOX_UDF_DIR,
          ...['a_good', 'b_bad', 'c_good'].map((f) => join(tasks, `${f}.tick`)),
        ],
        { encoding: 'utf8' },
      );
      assert.equal(res.status, 1, res.stdout);
      assert.match(res.stdout, /b_bad\.tick:7: syntax error at line 7 char 13: .* \[define\]/);
      assert.match(res.stdout, /1 make Kapacitor refuse the task/);

      const { code, log } = await runKapacitord(tasks, host.socketDir);
      assert.notEqual(
        code,
        null,
        `kapacitord still running after 60 s with a bad TICKscript in its load directory:\n${log.slice(-3000)}`,
      );
      assert.notEqual(code, 0);
      // The load service names the file and Kapacitor's parse error; the files after it are not loaded.
      assert.match(
        log,
        /failed to load file [^\n]*b_bad\.tick: failed to create task: invalid TICKscript: parser: unexpected \| line 7 char 13/,
      );
      assert.match(log, /started task[^\n]*task=a_good/);
      assert.doesNotMatch(log, /task=c_good/);
    } finally {
      rmSync(tasks, { recursive: true, force: true });
      await host.stop();
    }
  });
});
