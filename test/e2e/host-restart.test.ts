/**
 * The host killed (SIGKILL) and started again under running tasks, on a real Kapacitor (see
 * test/helpers/kapacitor.ts; Kapacitor's source is never copied into this repository). It records
 * what Kapacitor does, which docs/troubleshooting.md describes: the task fails and stays failed
 * until it is disabled and enabled again (by hand, or by a SIGHUP reload for tasks of the load
 * directory).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HostProcess,
  REPO_ROOT,
  Influxd,
  waitFor,
  Kapacitord,
  SANDBOX_UDF_DIR,
  type KapacitorTask,
} from '../helpers/index.js';

const DB = 'e2e';

function mirrorScript(measurement: string): string {
  return `dbrp "${DB}"."autogen"\n\nstream\n    |from()\n        .measurement('m')\n    @mirror()\n    |influxDBOut()\n        .database('${DB}')\n        .measurement('${measurement}')\n        .flushInterval(50ms)\n`;
}

describe('the host killed and started again while tasks run', () => {
  let influx: Influxd;
  let host: HostProcess;
  let kapacitor: Kapacitord;
  let tasksDir: string;
  let n = 0;

  const send = async (count: number): Promise<void> => {
    const lines: string[] = [];
    for (let i = 0; i < count; i += 1, n += 1)
      lines.push(`m,host=r1 v=${n}i ${1_700_000_000_000_000_000n + BigInt(n) * 1_000_000n}`);
    await kapacitor.write(DB, 'autogen', lines);
  };
  const count = async (measurement: string): Promise<number> => influx.count(DB, measurement, 'v');

  before(async () => {
    influx = await Influxd.start();
    await influx.exec(`CREATE DATABASE ${DB}`);
    host = await HostProcess.start([], { udfDir: SANDBOX_UDF_DIR });
    tasksDir = mkdtempSync(join(tmpdir(), 'kudf-e2e-tasks-'));
    writeFileSync(join(tasksDir, 'loaded.tick'), mirrorScript('loaded_out'));
    kapacitor = await Kapacitord.start({ socketDir: host.socketDir, influxUrl: influx.url, tasksDir });
    assert.equal(await kapacitor.define('defined', mirrorScript('defined_out')), '');
    await kapacitor.waitExecuting(['loaded', 'defined']);
  });

  after(async () => {
    await kapacitor?.stop();
    await host?.stop();
    await influx?.stop();
    if (tasksDir !== undefined) rmSync(tasksDir, { recursive: true, force: true });
  });

  it('leaves the tasks failed after the host is back, and runs them again once they are disabled and enabled, or reloaded', async () => {
    const ids = ['loaded', 'defined'];
    await send(100);
    await waitFor(
      'points before the kill',
      async () => (await count('loaded_out')) === 100 && (await count('defined_out')) === 100,
      20_000,
      100,
    );

    host.child.kill('SIGKILL');
    await host.exited;
    // Kapacitor finds out in one of two ways, whichever comes first: a write to the socket fails
    // (the task then stops, with the write error as its error), or the keepalive watchdog fires
    // after `timeout` (10 s) with no answer. After a watchdog abort the task still shows as
    // executing, with no error, and processes nothing more.
    await send(1);
    const noticed = (id: string, tasks: KapacitorTask[]): 'write error' | 'keepalive' | undefined => {
      const t = tasks.find((x) => x.id === id);
      if (
        t !== undefined &&
        !t.executing &&
        /^mirror\d+: stopping UDF server: write error: .*broken pipe$/.test(t.error)
      )
        return 'write error';
      if (kapacitor.errorLines().some((l) => l.includes(`task=${id} `) && l.includes('keepalive timedout')))
        return 'keepalive';
      return undefined;
    };
    let outcome: Array<string | undefined> = [];
    await waitFor(
      'Kapacitor noticing the dead host',
      async () => {
        const tasks = await kapacitor.tasks();
        outcome = ids.map((id) => noticed(id, tasks));
        return outcome.every((o) => o !== undefined);
      },
      30_000,
      200,
    );
    console.log(
      `# Kapacitor noticed the killed host through: ${ids.map((id, i) => `${id}: ${outcome[i]}`).join(', ')}`,
    );
    for (const t of await kapacitor.tasks()) assert.equal(t.status, 'enabled', 'Kapacitor keeps a failed task enabled');

    host = await HostProcess.start([], { udfDir: SANDBOX_UDF_DIR, socketDir: host.socketDir });
    // Points written now go nowhere: Kapacitor does not reconnect.
    await send(50);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(await count('defined_out'), 100);
    assert.equal(await count('loaded_out'), 100);
    assert.equal(
      host.logs.filter((l) => l.msg === 'session initialised').length,
      0,
      'a task connected to the new host by itself',
    );

    // Disabled and enabled again, a task connects to the new host.
    assert.equal(await kapacitor.setStatus('defined', 'disabled'), '');
    assert.equal(await kapacitor.setStatus('defined', 'enabled'), '');
    await kapacitor.waitExecuting(['defined']);
    // SIGHUP reloads the load directory, which disables and enables each of its tasks.
    kapacitor.signal('SIGHUP');
    await waitFor(
      'the reloaded task connecting',
      async () => host.logs.filter((l) => l.msg === 'session initialised').length >= 2,
      20_000,
      100,
    );
    await kapacitor.waitExecuting(ids);
    await send(25);
    await waitFor(
      'points after the recovery',
      async () => (await count('loaded_out')) === 125 && (await count('defined_out')) === 125,
      20_000,
      100,
    );

    const doc = readFileSync(join(REPO_ROOT, 'docs/troubleshooting.md'), 'utf8');
    assert.match(doc, /does not reconnect a task whose socket closed/);
    assert.match(doc, /disable <id> && kapacitor enable <id>/);
    assert.match(doc, /kill -HUP/);
    assert.match(doc, /keepalive timedout/);
    assert.match(doc, /broken pipe/);
  });
});
