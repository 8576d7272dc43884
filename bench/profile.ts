/**
 * Where the time goes: runs `kudf serve` under `node --cpu-prof` (main thread and every worker
 * write a .cpuprofile), drives one load case against it, stops the host so the profiles are
 * written, and prints their summaries with ns/point.
 *
 * Usage: node dist/bench/profile.js [mirror|edgeDetect|movingAverage] [connections] [outDir]
 * Env: BENCH_POINTS (default 3000000), BENCH_SECONDS (default 8), BENCH_THREADS (default 2),
 * BENCH_WRITES (`chunked`, the default, or `kapacitor`: every frame in two writes), BENCH_SCRAPE_MS
 * (start the host with `--http` and scrape /metrics this often during the load; 0, the default:
 * no endpoints).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ServerProcess, REPO_ROOT } from './children.js';
import { formatSummary, summarise } from './cpuprofile-summary.js';
import { WRITE_MODES, runLoad } from './load-generator.js';
import { edgeDetectWorkload, mirrorWorkload, movingAverageWorkload, type Workload } from './workloads.js';

const workloads: Record<string, () => Workload> = {
  mirror: mirrorWorkload,
  edgeDetect: edgeDetectWorkload,
  movingAverage: movingAverageWorkload,
};

async function main(): Promise<void> {
  const which = process.argv[2] ?? 'mirror';
  const conns = Number(process.argv[3] ?? 1);
  const make = workloads[which];
  if (make === undefined) throw new Error(`unknown workload '${which}' (known: ${Object.keys(workloads).join(', ')})`);
  const outDir = resolve(process.argv[4] ?? join(REPO_ROOT, 'bench/profiles', `${which}-${conns}-${Date.now()}`));
  mkdirSync(outDir, { recursive: true });
  const writes = WRITE_MODES.find((m) => m === (process.env['BENCH_WRITES'] ?? 'chunked'));
  if (writes === undefined) throw new Error(`BENCH_WRITES must be ${WRITE_MODES.join(' or ')}`);
  const workload = make();
  const scrapeMs = Number(process.env['BENCH_SCRAPE_MS'] ?? 0);
  const host = await ServerProcess.host({
    threads: Number(process.env['BENCH_THREADS'] ?? 2),
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', outDir],
    ...(scrapeMs > 0 ? { extraArgs: ['--http', '127.0.0.1:0'] } : {}),
  });
  const url = host.opsUrl;
  let scrapes = 0;
  const scraper =
    scrapeMs > 0 && url !== undefined
      ? setInterval(() => void fetch(`${url}/metrics`).then(async (r) => (await r.text(), scrapes++)), scrapeMs)
      : undefined;
  let points = 0;
  try {
    const result = await runLoad(conns, {
      socketPath: host.socket(workload.udf),
      workload,
      maxPoints: Number(process.env['BENCH_POINTS'] ?? 3_000_000),
      maxSeconds: Number(process.env['BENCH_SECONDS'] ?? 8),
      keepaliveMs: 10,
      writes,
    });
    points = result.sentPoints;
    process.stdout.write(
      `${which} x${conns} (${writes} writes): ${points} points, processed ${Math.round(result.processedPerSec)}/s, returned ${result.returnedPoints}${scrapeMs > 0 ? `, ${scrapes} scrapes` : ''}${result.errors.length > 0 ? `, errors: ${result.errors.join('; ')}` : ''}\n`,
    );
  } finally {
    if (scraper !== undefined) clearInterval(scraper);
    await host.stop();
  }
  const files = readdirSync(outDir).filter((f) => f.endsWith('.cpuprofile'));
  process.stdout.write(`${files.length} profile(s) in ${outDir}\n\n`);
  for (const f of files.sort()) process.stdout.write(`${formatSummary(summarise(join(outDir, f)), 25, points)}\n\n`);
}

await main();
