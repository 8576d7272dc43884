/**
 * The load generator's `go` write mode: Kapacitor's write pattern (two write(2) calls a frame,
 * unbuffered, a writer and a reader goroutine a connection) from bench/go-client/, a Go program
 * with no dependencies built with the toolchain that builds Kapacitor for the tests. It writes
 * the same pre-encoded frames as the TypeScript generator and is checked the same way (every
 * expected point back, every keepalive answered, the host closing the connection); what differs
 * is the client's own cost a frame, which on a 2-core machine is CPU taken from the host.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildGoProgram } from './children.js';
import type { ConnectionResult, LoadOptions, LoadResult } from './load-generator.js';
import { countsError, sumConnections } from './load-sum.js';
import { initFrame } from './workloads.js';

/** What the program prints (bench/go-client/main.go, `connResult` and `runResult`). */
interface GoConnection {
  sentPoints: number;
  sentBytes: number;
  returnedPoints: number;
  sendMs: number;
  returnMs: number;
  doneMs: number;
  keepalivesSent: number;
  keepaliveMs: number[];
  writeCalls: number;
  largestWrite: number;
  error?: string;
}

interface GoRun {
  connections?: GoConnection[];
  cpuSeconds: number;
  error?: string;
}

/** The same checks as the TypeScript generator's connection (load-generator.ts `result`). */
function connectionResult(c: GoConnection, options: LoadOptions): ConnectionResult {
  const expected = options.workload.expectedReturned(c.sentPoints);
  // The client reads whole frames only, so its stream always ends on a frame boundary or in c.error.
  const error =
    c.error ??
    countsError({
      returned: c.returnedPoints,
      expected,
      atFrameBoundary: true,
      keepalivesSent: c.keepalivesSent,
      keepalivesAnswered: c.keepaliveMs.length,
    });
  return {
    sentPoints: c.sentPoints,
    sentBytes: c.sentBytes,
    returnedPoints: c.returnedPoints,
    expectedPoints: expected,
    sendMs: c.sendMs,
    returnMs: c.returnMs,
    doneMs: c.doneMs,
    keepalivesSent: c.keepalivesSent,
    keepaliveMs: c.keepaliveMs,
    writeCalls: { calls: c.writeCalls, largest: c.largestWrite },
    ...(error !== undefined ? { error } : {}),
  };
}

/** Runs `count` connections of the Go client against a Unix socket and sums them up as runLoad does. */
export async function runGoLoad(count: number, options: LoadOptions): Promise<LoadResult> {
  if (options.socketPath === undefined)
    throw new Error("the go write mode speaks to a socket, not to a process's pipes");
  if (options.pointsPerSec !== undefined || options.window !== undefined || options.read === false)
    throw new Error('the go write mode runs saturating connections only (no pace, no window, always read)');
  const binary = buildGoProgram('go-client');
  const dir = mkdtempSync(join(tmpdir(), 'kudf-go-client-'));
  try {
    const chunkPath = join(dir, 'chunk');
    writeFileSync(chunkPath, options.workload.chunk);
    const args = [
      `-socket=${options.socketPath}`,
      `-conns=${count}`,
      `-chunk=${chunkPath}`,
      `-points=${Math.ceil(options.maxPoints / count)}`,
      `-seconds=${options.maxSeconds}`,
      `-keepalive-ms=${options.keepaliveMs}`,
    ];
    if (options.workload.init !== undefined) {
      const initPath = join(dir, 'init');
      writeFileSync(initPath, initFrame(options.workload.init));
      args.push(`-init=${initPath}`);
    }
    const tick = options.onTick !== undefined ? setInterval(options.onTick, 100) : undefined;
    let stdout: string;
    try {
      stdout = await new Promise<string>((resolve, reject) => {
        execFile(binary, args, { maxBuffer: 256 << 20, encoding: 'utf8' }, (err, out, errOut) => {
          if (err !== null) reject(new Error(`go client: ${err.message}${errOut !== '' ? `: ${errOut.trim()}` : ''}`));
          else resolve(out);
        });
      });
    } finally {
      clearInterval(tick);
    }
    const run = JSON.parse(stdout) as GoRun;
    if (run.error !== undefined) throw new Error(`go client: ${run.error}`);
    const results = (run.connections ?? []).map((c) => connectionResult(c, options));
    return {
      ...sumConnections(results),
      clientCpuSeconds: run.cpuSeconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
