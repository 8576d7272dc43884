// Long fuzz campaign over the frame decoder, the request codec and the Session (not run in CI;
// test/reliability/fuzz.test.ts runs a short one). Compiled with the rest: `npm run build`.
//
//   node dist/scripts/fuzz.js                 10 million inputs on 2 worker threads
//   FUZZ_RUNS=2000000 FUZZ_WORKERS=1 FUZZ_SEED=7 node dist/scripts/fuzz.js
//
// Inputs are run in jobs of JOB_RUNS with a seed per job, so any failure or hang is replayable
// from its target and seed. Pipeline inputs that exercise a behaviour not seen before (response
// kinds + error text with numbers blanked) are kept in fuzz/corpus/, which CI replays; a failing
// input is written to fuzz/corpus/failures/ with the fast-check report. Exit 0 only when every
// input passed and no job hung. FUZZ_CORPUS puts the corpus in another directory.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';
import fc from 'fast-check';
import {
  framesProperty,
  pipelineProperty,
  rawFramesProperty,
  sessionProperty,
  type PipelineOutcome,
} from '../test/reliability/index.js';

// This file runs from dist/scripts/: the repository is two levels up.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// FUZZ_CORPUS: keep the corpus elsewhere (a short trial run that must leave fuzz/corpus/ alone).
const CORPUS = process.env['FUZZ_CORPUS'] ?? join(ROOT, 'fuzz/corpus');
const JOB_RUNS = 20_000;
// A job normally takes a few seconds; this long without one finishing means a hang.
const HANG_MS = Number(process.env['FUZZ_HANG_MS'] ?? 120_000);
// Share of the inputs per target: raw bytes are cheap, so they get the largest share.
const SHARES = { rawFrames: 0.4, frames: 0.1, session: 0.25, pipeline: 0.25 } as const;
type Target = keyof typeof SHARES;
const TARGETS = Object.keys(SHARES) as Target[];

interface Job {
  target: Target;
  runs: number;
  seed: number;
}

type FromWorker =
  | { type: 'ready' }
  | { type: 'signature'; fn: string; signature: string; bytes: Uint8Array }
  | { type: 'done'; runs: number; failed: boolean; report: string; bytes: Uint8Array | undefined; maxInputMs: number };

if (isMainThread) await main();
else work();

async function main(): Promise<void> {
  const total = Number(process.env['FUZZ_RUNS'] ?? 10_000_000);
  const workers = Number(process.env['FUZZ_WORKERS'] ?? 2);
  const baseSeed = Number(process.env['FUZZ_SEED'] ?? Date.now() % 1_000_000);
  const maxCorpus = Number(process.env['FUZZ_MAX_CORPUS'] ?? 200);
  mkdirSync(CORPUS, { recursive: true });
  let corpusFiles = readdirSync(CORPUS).filter((f) => f.endsWith('.bin')).length;

  const jobs: Job[] = [];
  for (const target of TARGETS) {
    let left = Math.round(total * SHARES[target]);
    while (left > 0) {
      const runs = Math.min(JOB_RUNS, left);
      jobs.push({ target, runs, seed: baseSeed + jobs.length });
      left -= runs;
    }
  }
  // Interleave targets so that a partial run still covers all of them.
  jobs.sort((a, b) => (a.seed % 7) - (b.seed % 7) || a.seed - b.seed);

  const started = Date.now();
  const done = Object.fromEntries(TARGETS.map((t) => [t, 0])) as Record<Target, number>;
  const signatures = new Set<string>();
  let next = 0;
  let inputs = 0;
  let failures = 0;
  let slowestJobMs = 0;
  let maxInputMs = 0;
  let lastReport = Date.now();
  console.log(`fuzz: ${total} inputs in ${jobs.length} jobs on ${workers} worker(s), base seed ${baseSeed}`);

  await new Promise<void>((resolveAll) => {
    let live = 0;
    const spawn = (): void => {
      const worker = new Worker(fileURLToPath(import.meta.url));
      live++;
      let current: (Job & { started: number }) | undefined;
      let watchdog: NodeJS.Timeout | undefined;
      const give = (): void => {
        const job = jobs[next];
        if (failures > 0 || job === undefined) {
          void worker.terminate();
          return;
        }
        next++;
        const running = { ...job, started: Date.now() };
        current = running;
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          failures++;
          console.error(`HANG: ${running.target} seed ${running.seed} ran over ${HANG_MS} ms`);
          writeFailure(
            `hang-${running.target}-${running.seed}`,
            `target ${running.target}, seed ${running.seed}, runs ${running.runs}: no result after ${HANG_MS} ms\n`,
          );
          void worker.terminate();
        }, HANG_MS);
        worker.postMessage(running);
      };
      worker.on('message', (m: FromWorker) => {
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
        if (current === undefined) return;
        const ms = Date.now() - current.started;
        slowestJobMs = Math.max(slowestJobMs, ms);
        maxInputMs = Math.max(maxInputMs, m.maxInputMs);
        inputs += m.runs;
        done[current.target] += m.runs;
        if (m.failed) {
          failures++;
          console.error(`FAILURE in ${current.target} (seed ${current.seed}):\n${m.report}`);
          writeFailure(
            `${current.target}-${current.seed}`,
            `target ${current.target}, seed ${current.seed}\n${m.report}\n`,
            m.bytes,
          );
        }
        if (Date.now() - lastReport > 30_000) {
          lastReport = Date.now();
          const s = (Date.now() - started) / 1000;
          console.log(
            `  ${inputs} inputs, ${(inputs / s).toFixed(0)}/s, ${s.toFixed(0)} s, ${signatures.size} behaviours`,
          );
        }
        give();
      });
      worker.on('error', (err: Error) => {
        failures++;
        console.error(
          `worker error during ${current?.target ?? '?'} seed ${current?.seed ?? '?'}: ${err.stack ?? String(err)}`,
        );
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

function writeFailure(name: string, text: string, bytes?: Uint8Array): void {
  const dir = join(CORPUS, 'failures');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.txt`), text);
  if (bytes !== undefined) writeFileSync(join(dir, `${name}.bin`), bytes);
}

/** The first argument of a counterexample, when it carries the input's bytes. */
function counterexampleBytes(counterexample: readonly unknown[] | null): Uint8Array | undefined {
  const first = counterexample?.[0];
  if (first instanceof Uint8Array) return first;
  if (first !== null && typeof first === 'object' && 'bytes' in first && first.bytes instanceof Uint8Array)
    return first.bytes;
  return undefined;
}

function work(): void {
  const port = parentPort;
  if (port === null) throw new Error('the fuzz worker needs a parent port');
  let maxInputMs = 0;
  const seen = new Set<string>();
  const onOutcome = (fn: string, bytes: Uint8Array, outcome: PipelineOutcome): void => {
    if (seen.has(outcome.signature)) return;
    seen.add(outcome.signature);
    port.postMessage({ type: 'signature', fn, signature: outcome.signature, bytes } satisfies FromWorker);
  };
  const properties: Record<Target, () => fc.IPropertyWithHooks<never>> = {
    rawFrames: () => rawFramesProperty() as fc.IPropertyWithHooks<never>,
    frames: () => framesProperty() as fc.IPropertyWithHooks<never>,
    session: () => sessionProperty() as fc.IPropertyWithHooks<never>,
    pipeline: () => pipelineProperty(onOutcome) as fc.IPropertyWithHooks<never>,
  };
  port.on('message', (job: Job) => {
    maxInputMs = 0;
    const prop = properties[job.target]();
    // Wrap the predicate to time each input (a slow input is a hang in the making).
    const run = prop.run.bind(prop);
    prop.run = (...args) => {
      const t0 = performance.now();
      try {
        return run(...args);
      } finally {
        maxInputMs = Math.max(maxInputMs, performance.now() - t0);
      }
    };
    const result = fc.check(prop, { numRuns: job.runs, seed: job.seed, endOnFailure: false });
    port.postMessage({
      type: 'done',
      runs: result.numRuns,
      failed: result.failed,
      report: result.failed ? (fc.defaultReportMessage(result) ?? '') : '',
      bytes: result.failed ? counterexampleBytes(result.counterexample) : undefined,
      maxInputMs,
    } satisfies FromWorker);
  });
  port.postMessage({ type: 'ready' } satisfies FromWorker);
}
