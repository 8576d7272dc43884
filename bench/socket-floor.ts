/**
 * The kernel's floor under Kapacitor's write pattern: what a reader pays the kernel for frames
 * written as two write(2) calls each, next to the same frames written in one call a drain, on a
 * Unix socketpair (socket mode) and on a pipe (process mode, where Kapacitor writes to the
 * process's stdin). No Node.js code takes part: bench/socket-floor/ is a Go program on two
 * threads (built here with the Go toolchain that builds Kapacitor), so the figure is the
 * kernel's alone, and any host's CPU a point under that pattern is at least this.
 */
import { execFileSync } from 'node:child_process';
import { buildGoProgram } from './children.js';

export const FLOOR_TRANSPORTS = ['socket', 'pipe'] as const;
export type FloorTransport = (typeof FLOOR_TRANSPORTS)[number];

export interface SocketFloorResult {
  transport: FloorTransport;
  writes: 'kapacitor' | 'chunked';
  framesPerRead: number;
  frameBytes: number;
  frames: number;
  reads: number;
  /** CPU of the reader's thread in its reads, µs a frame (the kernel's: the loop around them is a few instructions). */
  readerCpuUsPerFrame: number;
  /** CPU of the writer's thread, µs a frame. */
  writerCpuUsPerFrame: number;
  readsPerFrame: number;
}

export interface SocketFloorOptions {
  /** Frames per measurement (default 200,000). */
  frames?: number;
  /** Bytes of a frame's body, its length prefix coming on top (default 128). */
  bodyBytes?: number;
  /** Frames queued before each drain (default 1, 10 and 100). */
  framesPerRead?: readonly number[];
  /** Socketpair, pipe, or both (the default). */
  transports?: readonly FloorTransport[];
}

export function measureSocketFloor(options: SocketFloorOptions = {}): SocketFloorResult[] {
  const binary = buildGoProgram('socket-floor');
  const args = [
    `-frames=${options.frames ?? 200_000}`,
    `-body=${options.bodyBytes ?? 128}`,
    `-per-read=${(options.framesPerRead ?? [1, 10, 100]).join(',')}`,
    `-transports=${(options.transports ?? FLOOR_TRANSPORTS).join(',')}`,
  ];
  const out = execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SocketFloorResult);
}
