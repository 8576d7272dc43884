/**
 * The long-run scripts (`npm run fuzz`, `npm run soak`, `npm run drill`, `npm run attack`) are run by hand for
 * minutes or hours; here each runs for seconds, as built, so that a change that breaks one is
 * found by CI rather than by the next person who needs it. Their verdicts are checked, not
 * their figures.
 */
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/index.js';

let scratch = '';
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'kudf-long-run-'));
});
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** Runs dist/scripts/<name>.js to its end; resolves to its exit code and output. */
function runScript(name: string, env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'dist/scripts', `${name}.js`)], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
  });
}

/** The JSON report a script prints last (pretty-printed over several lines, starting at a line that is only '{'). */
function lastReport(out: string): Record<string, unknown> {
  const start = out.lastIndexOf('\n{\n');
  assert.ok(start >= 0, `no JSON report in:\n${out}`);
  const end = out.indexOf('\n}', start);
  return JSON.parse(out.slice(start + 1, end + 2)) as Record<string, unknown>;
}

describe('the long-run scripts, run briefly', { timeout: 300_000 }, () => {
  it('fuzz: every input of a short campaign passes, and behaviours land in the corpus directory given', async () => {
    const corpus = join(scratch, 'corpus');
    const { code, out } = await runScript('fuzz', {
      FUZZ_RUNS: '4000',
      FUZZ_WORKERS: '1',
      FUZZ_SEED: '11',
      FUZZ_CORPUS: corpus,
    });
    assert.equal(code, 0, out);
    const report = lastReport(out);
    assert.equal(report['inputs'], 4000);
    assert.equal(report['failures'], 0);
    assert.ok(
      (await readdir(corpus)).some((f) => f.endsWith('.bin')),
      'no corpus file written',
    );
  });

  it('soak: a few seconds of tasks lose and reorder nothing, and the host stays up', async () => {
    const { code, out } = await runScript('soak', { SOAK_MINUTES: '0.1', SOAK_TASKS: '2', SOAK_SEED: '5' });
    assert.equal(code, 0, out);
    const report = lastReport(out);
    assert.ok(Number(report['sessions']) >= 2, out);
    assert.ok(Number(report['pointsSent']) > 0);
    assert.equal(report['lost'], 0);
    assert.equal(report['reordered'], 0);
    assert.equal(report['hostAlive'], true);
  });

  it('outage drill: a short InfluxDB outage with the poller killed at the peak loses and doubles no poll', async () => {
    const { code, out } = await runScript('outage-drill', {
      DRILL_MINUTES: '0.1',
      DRILL_INTERVAL_S: '1',
      DRILL_DRAIN_S: '60',
    });
    assert.equal(code, 0, out);
    const report = lastReport(out);
    assert.equal(report['lost'], 0);
    assert.equal(report['duplicated'], 0);
    assert.equal(report['arrived'], report['polled']);
    assert.match(out, /DRILL PASSED/);
  });

  it('attack: half a second of each hostile peer kind leaves the bystander task whole and the host up', async () => {
    const { code, out } = await runScript('attack', { ATTACK_SECONDS: '0.5', ATTACK_CONNECTIONS: '2' });
    const report = lastReport(out);
    const phases = report['phases'] as Array<Record<string, unknown>>;
    assert.deepEqual(
      phases.map((p) => `${String(p['kind'])}×${String(p['connections'])}`),
      ['batch-outliers', 'batch-mirror', 'partial-max', 'trickle', 'no-init', 'oversized'].map((k) => `${k}×2`),
    );
    for (const p of phases) {
      const by = p['bystander'] as Record<string, unknown>;
      const what = `${String(p['kind'])}×${String(p['connections'])}: ${JSON.stringify(p)}`;
      assert.ok(Number(p['opened']) >= Number(p['connections']), what);
      assert.ok(Number(by['sent']) > 0, what);
      assert.equal(by['back'], by['sent'], what);
      assert.equal(by['lost'], 0, what);
      assert.equal(by['reordered'], 0, what);
      assert.deepEqual(by['errors'], [], what);
      assert.equal(by['unansweredKeepalives'], 0, what);
      assert.equal(p['hostAlive'], true, what);
      assert.equal(p['fatalLogLines'], 0, what);
    }
    assert.equal(code, report['passed'] === true ? 0 : 1, 'the exit code follows the verdict');
  });
});
