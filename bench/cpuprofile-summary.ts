/**
 * Aggregates V8 .cpuprofile files (from `node --cpu-prof`) by function, by file and by the
 * categories of the host's per-point path, using self time (each sample's time delta charged to
 * the frame on top of the stack).
 *
 * Usage: node dist/bench/cpuprofile-summary.js [--points N] [--top K] <file.cpuprofile | dir>...
 * With --points, categories are also shown in ns per point.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Entry {
  key: string;
  selfMs: number;
}

export interface Summary {
  file: string;
  totalMs: number;
  byFunction: Entry[];
  byFile: Entry[];
  byCategory: Entry[];
}

// Order matters: the first matching rule names the category.
const CATEGORY_RULES: Array<[string, (f: CallFrame) => boolean]> = [
  ['idle', (f) => f.functionName === '(idle)'],
  ['gc', (f) => f.functionName === '(garbage collector)'],
  ['v8/native (program)', (f) => f.functionName === '(program)'],
  [
    'decode (frame, wire, point)',
    (f) =>
      /src\/protocol\/(frame-decoder|wire-reader|varint)\.js$/.test(f.url) ||
      (/data-messages\.js$/.test(f.url) && /^read|MapEntry|expectWireType/.test(f.functionName)) ||
      (/codec\.js$/.test(f.url) && /decode/i.test(f.functionName)),
  ],
  [
    'encode (wire, point, frame)',
    (f) =>
      /src\/protocol\/(frame-writer|wire-writer|int64-bits)\.js$/.test(f.url) ||
      (/data-messages\.js$/.test(f.url) && /^write/.test(f.functionName)) ||
      (/codec\.js$/.test(f.url) && /write|encode|open/i.test(f.functionName)),
  ],
  ['protocol (other)', (f) => /src\/protocol\//.test(f.url)],
  ['metrics (prom-client, operations endpoints)', (f) => /node_modules\/prom-client\/|src\/metrics\//.test(f.url)],
  ['session dispatch', (f) => /src\/host\/(session|session-runner)\.js$/.test(f.url)],
  ['function + sdk', (f) => /\/udfs\/|src\/sdk\/|fixtures\/udfs\//.test(f.url)],
  [
    'thread hand-off (postMessage, message ports)',
    (f) =>
      /worker|messageport|message_port|internal\/event_target|per_context\/messageport/i.test(f.url) ||
      /postMessage|emitMessage|onmessage/i.test(f.functionName),
  ],
  ['main-thread connection', (f) => /src\/host\/(connection|udf-host|worker-pool)\.js$/.test(f.url)],
  [
    'socket I/O (net, streams, libuv calls)',
    (f) =>
      /node:net|stream_base_commons|internal\/streams\/|node:stream/.test(f.url) ||
      /^(writeBuffer|writev|writeGeneric|onStreamRead|readStart|readStop|writeUtf8String)$/.test(f.functionName),
  ],
  ['logging', (f) => /pino|sonic-boom/.test(f.url)],
  [
    'buffer/typed-array builtins',
    (f) =>
      /node:buffer|internal\/buffer/.test(f.url) ||
      /^(copy|set|subarray|allocUnsafe|concat|slice|from)$/.test(f.functionName),
  ],
  ['timers/ticks', (f) => /internal\/timers|internal\/process\/task_queues/.test(f.url)],
];

function category(f: CallFrame): string {
  for (const [name, test] of CATEGORY_RULES) if (test(f)) return name;
  return f.url === '' ? `native: ${f.functionName || '(anonymous)'}` : 'other JS';
}

function shortUrl(url: string): string {
  const i = url.indexOf('/dist/');
  if (i >= 0) return url.slice(i + 6);
  const n = url.indexOf('/node_modules/');
  if (n >= 0) return url.slice(n + 14);
  return url === '' ? '(native)' : url;
}

function sorted(map: Map<string, number>): Entry[] {
  return [...map.entries()].map(([key, us]) => ({ key, selfMs: us / 1000 })).sort((a, b) => b.selfMs - a.selfMs);
}

export function summarise(file: string): Summary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, CallFrame>();
  for (const node of profile.nodes) byId.set(node.id, node.callFrame);
  const self = new Map<number, number>();
  // timeDeltas[i] is the time before sample i; charging it to sample i is V8's own convention.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + Math.max(0, profile.timeDeltas[i] ?? 0));
  }
  const fn = new Map<string, number>();
  const fileMap = new Map<string, number>();
  const cat = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const f = byId.get(id);
    if (f === undefined) continue;
    total += us;
    const url = shortUrl(f.url);
    const fk = `${f.functionName || '(anonymous)'} ${url}${f.url === '' ? '' : `:${f.lineNumber + 1}`}`;
    fn.set(fk, (fn.get(fk) ?? 0) + us);
    fileMap.set(url, (fileMap.get(url) ?? 0) + us);
    const c = category(f);
    cat.set(c, (cat.get(c) ?? 0) + us);
  }
  return { file, totalMs: total / 1000, byFunction: sorted(fn), byFile: sorted(fileMap), byCategory: sorted(cat) };
}

/** A readable report; `points` (processed during the profile) adds ns/point per category. */
export function formatSummary(s: Summary, top: number, points?: number): string {
  const busy = s.totalMs - (s.byCategory.find((e) => e.key === 'idle')?.selfMs ?? 0);
  const pct = (v: number): string => `${((100 * v) / s.totalMs).toFixed(1).padStart(5)}%`;
  const perPoint = (v: number): string =>
    points !== undefined && points > 0 ? `${((v * 1e6) / points).toFixed(0).padStart(6)} ns/pt` : '';
  const lines = [
    `== ${basename(s.file)}: ${s.totalMs.toFixed(0)} ms sampled, ${busy.toFixed(0)} ms busy (${pct(busy).trim()})`,
  ];
  lines.push('-- by category (self time)');
  for (const e of s.byCategory)
    lines.push(`${e.selfMs.toFixed(0).padStart(8)} ms ${pct(e.selfMs)} ${perPoint(e.selfMs)}  ${e.key}`);
  lines.push(`-- top ${top} functions (self time)`);
  for (const e of s.byFunction.slice(0, top))
    lines.push(`${e.selfMs.toFixed(0).padStart(8)} ms ${pct(e.selfMs)}  ${e.key}`);
  lines.push(`-- top ${Math.min(top, 12)} files (self time)`);
  for (const e of s.byFile.slice(0, Math.min(top, 12)))
    lines.push(`${e.selfMs.toFixed(0).padStart(8)} ms ${pct(e.selfMs)}  ${e.key}`);
  return lines.join('\n');
}

function profilesIn(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .map((f) => join(path, f));
}

function cli(argv: string[]): void {
  let top = 25;
  let points: number | undefined;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--top') top = Number(argv[++i]);
    else if (a === '--points') points = Number(argv[++i]);
    else files.push(...profilesIn(a));
  }
  if (files.length === 0) {
    process.stderr.write('usage: cpuprofile-summary [--points N] [--top K] <file.cpuprofile | dir>...\n');
    process.exitCode = 2;
    return;
  }
  for (const f of files) process.stdout.write(`${formatSummary(summarise(f), top, points)}\n\n`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) cli(process.argv.slice(2));
