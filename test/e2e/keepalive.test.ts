/**
 * Keepalives with a short UDF timeout under steady load, on a real Kapacitor (see
 * test/helpers/kapacitor.ts; Kapacitor's source is never copied into this repository). Kapacitor
 * sends a keepalive every timeout/2 and aborts the task when no answer came for the whole timeout.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HostProcess, Kapacitord, SANDBOX_UDF_DIR } from '../helpers/index.js';
import { steadyLoad, steadyScript } from './tasks.js';

const DB = 'e2e';
const LOAD_MS = 60_000;

describe('keepalives on a real Kapacitor', () => {
  let host: HostProcess;
  let kapacitor: Kapacitord;

  before(async () => {
    host = await HostProcess.start([], { udfDir: SANDBOX_UDF_DIR });
    kapacitor = await Kapacitord.start({ socketDir: host.socketDir, tasksDir: null, udfTimeout: '1s' });
  });

  after(async () => {
    await kapacitor?.stop();
    await host?.stop();
  });

  it('never aborts a task with timeout = "1s" under 60 s of steady load', async () => {
    assert.equal(await kapacitor.define('steady', steadyScript(DB)), '');
    await kapacitor.waitExecuting(['steady']);
    const sent = await steadyLoad(kapacitor, DB, 'steady', LOAD_MS);
    assert.equal((await kapacitor.task('steady')).error, '');
    assert.deepEqual(kapacitor.errorLines(), []);
    assert.ok(!/keepalive/i.test(kapacitor.log), 'Kapacitor logged a keepalive problem');
    assert.ok(sent >= 50_000, `only ${sent} points were sent`);
  });
});
