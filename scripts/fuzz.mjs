#!/usr/bin/env node
// Long fuzz campaign over the frame decoder, the request codec and the Session (not run in CI;
// test/reliability/fuzz.test.ts runs a short one). Needs a build: `npx tsc -p tsconfig.json`.
//
//   node scripts/fuzz.mjs                 10 million inputs on 2 worker threads
//   FUZZ_RUNS=2000000 FUZZ_WORKERS=1 FUZZ_SEED=7 node scripts/fuzz.mjs
//
// Inputs are run in jobs of JOB_RUNS with a seed per job, so any failure or hang is replayable
// from its target and seed. Pipeline inputs that exercise a behaviour not seen before (response
// kinds + error text with numbers blanked) are kept in fuzz/corpus/, which CI replays; a failing
// input is written to fuzz/corpus/failures/ with the fast-check report. Exit 0 only when every
// input passed and no job hung.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS = join(ROOT, 'fuzz/corpus');
const TARGETS_URL = new URL('../dist/test/reliability/fuzz-targets.js', import.meta.url).href;
const JOB_RUNS = 20_000;
// A job normally takes a few seconds; this long without one finishing means a hang.
const HANG_MS = Number(process.env.FUZZ_HANG_MS ?? 120_000);
// Share of the inputs per target: raw bytes are cheap, so they get the largest share.
const SHARES = { rawFrames: 0.4, frames: 0.1, session: 0.25, pipeline: 0.25 };

if (isMainThread) await main();
else await work();

async function main() {
  const total = Number(process.env.FUZZ_RUNS ?? 10_000_000);
  const workers = Number(process.env.FUZZ_WORKERS ?? 2);
  const baseSeed = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000);
  const maxCorpus = Number(process.env.FUZZ_MAX_CORPUS ?? 200);
  mkdirSync(CORPUS, { recursive: true });
  let corpusFiles = readdirSync(CORPUS).filter((f) => f.endsWith('.bin')).length;

  const jobs = [];
  for (const [target, share] of Object.entries(SHARES)) {
    let left = Math.round(total * share);
    while (left > 0) {
      const runs = Math.min(JOB_RUNS, left);
      jobs.push({ target, runs, seed: baseSeed + jobs.length });
      left -= runs;
    }
  }
  // Interleave targets so that a partial run still covers all of them.
  jobs.sort((a, b) => a.seed % 7 - b.seed % 7 || a.seed - b.seed);

  const started = Date.now();
  const done = Object.fromEntries(Object.keys(SHARES).map((t) => [t, 0]));
  const signatures = new Set();
  let next = 0;
  let inputs = 0;
  let failures = 0;
  let slowestJobMs = 0;
  let maxInputMs = 0;
  let lastReport = Date.now();
  console.log(`fuzz: ${total} inputs in ${jobs.length} jobs on ${workers} worker(s), base seed ${baseSeed}`);

  await new Promise((resolveAll) => {
    let live = 0;
    const spawn = () => {
      const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { targetsUrl: TARGETS_URL } });
      live++;
      let current;
      let watchdog;
      const give = () => {
        if (failures > 0 || next >= jobs.length) {
          void worker.terminate();
          return;
        }
        current = { ...jobs[next++], started: Date.now() };
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          failures++;
          console.error(`HANG: ${current.target} seed ${current.seed} ran over ${HANG_MS} ms`);
          writeFailure(`hang-${current.target}-${current.seed}`, `target ${current.target}, seed ${current.seed}, runs ${current.runs}: no result after ${HANG_MS} ms\n`);
          void worker.terminate();
        }, HANG_MS);
        worker.postMessage(current);
      };
      worker.on('message', (m) => {
        if (m.type === 'ready') return give();
        if (m.type === 'signature') {
          if (!signatures.has(m.signature)) {
            signatures.add(m.signature);
            const name = `${m.fn}-${createHash('sha256').update(m.signature).digest('hex').slice(0, 10)}.bin`;
            if (corpusFiles < maxCorpus && !existsSync(join(CORPUS, name))) {
              writeFileSync(join(CORPUS, name), m.bytes);
              corpusFiles++;
            }
          }
          return;
        }
        // m.type === 'done'
        const ms = Date.now() - current.started;
        slowestJobMs = Math.max(slowestJobMs, ms);
        maxInputMs = Math.max(maxInputMs, m.maxInputMs);
        inputs += m.runs;
        done[current.target] += m.runs;
        if (m.failed) {
          failures++;
          console.error(`FAILURE in ${current.target} (seed ${current.seed}):\n${m.report}`);
          writeFailure(`${current.target}-${current.seed}`, `target ${current.target}, seed ${current.seed}\n${m.report}\n`, m.bytes);
        }
        if (Date.now() - lastReport > 30_000) {
          lastReport = Date.now();
          const s = (Date.now() - started) / 1000;
          console.log(`  ${inputs} inputs, ${(inputs / s).toFixed(0)}/s, ${s.toFixed(0)} s, ${signatures.size} behaviours`);
        }
        give();
      });
      worker.on('error', (err) => {
        failures++;
        console.error(`worker error during ${current?.target} seed ${current?.seed}: ${err.stack ?? err}`);
      });
      worker.on('exit', () => {
        clearTimeout(watchdog);
        if (--live === 0) resolveAll();
      });
    };
    for (let i = 0; i < workers; i++) spawn();
  });

  const seconds = (Date.now() - started) / 1000;
  console.log(
    JSON.stringify(
      {
        inputs,
        seconds: Number(seconds.toFixed(1)),
        inputsPerSecond: Math.round(inputs / seconds),
        perTarget: done,
        failures,
        behaviours: signatures.size,
        corpusFiles,
        slowestJobMs,
        slowestInputMs: Number(maxInputMs.toFixed(2)),
        baseSeed,
      },
      null,
      2,
    ),
  );
  process.exitCode = failures === 0 && inputs === total ? 0 : 1;
}

function writeFailure(name, text, bytes) {
  const dir = join(CORPUS, 'failures');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.txt`), text);
  if (bytes !== undefined) writeFileSync(join(dir, `${name}.bin`), bytes);
}

async function work() {
  const fc = (await import('fast-check')).default;
  const t = await import(workerData.targetsUrl);
  let maxInputMs = 0;
  const timed = (fn) => (...args) => {
    const t0 = performance.now();
    try {
      return fn(...args);
    } finally {
      const ms = performance.now() - t0;
      if (ms > maxInputMs) maxInputMs = ms;
    }
  };
  const seen = new Set();
  const onOutcome = (fn, bytes, outcome) => {
    if (seen.has(outcome.signature)) return;
    seen.add(outcome.signature);
    parentPort.postMessage({ type: 'signature', fn, signature: outcome.signature, bytes });
  };
  const properties = {
    rawFrames: () => t.rawFramesProperty(),
    frames: () => t.framesProperty(),
    session: () => t.sessionProperty(),
    pipeline: () => t.pipelineProperty(onOutcome),
  };
  parentPort.on('message', (job) => {
    maxInputMs = 0;
    const prop = properties[job.target]();
    // Wrap the predicate to time each input (a slow input is a hang in the making).
    const run = prop.run.bind(prop);
    prop.run = timed(run);
    const result = fc.check(prop, { numRuns: job.runs, seed: job.seed, endOnFailure: false });
    let bytes;
    if (result.failed && result.counterexample !== null) {
      const first = result.counterexample[0];
      if (first instanceof Uint8Array) bytes = first;
      else if (first !== null && typeof first === 'object' && first.bytes instanceof Uint8Array) bytes = first.bytes;
    }
    parentPort.postMessage({
      type: 'done',
      runs: result.numRuns,
      failed: result.failed,
      report: result.failed ? fc.defaultReportMessage(result) : '',
      bytes,
      maxInputMs,
    });
  });
  parentPort.postMessage({ type: 'ready' });
}
