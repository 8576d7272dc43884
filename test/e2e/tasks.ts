/**
 * TICKscripts and loads the end-to-end suites share: an edge-detect task writing to InfluxDB, and
 * a steady load through `@movingAverage` and `@mirror` that checks the task stays up throughout.
 */
import assert from 'node:assert/strict';
import { type Kapacitord, waitFor } from '../helpers/index.js';

/** The closing `influxDBOut` of a task, writing to `measurement` of `db`. */
export function influxOut(db: string, measurement: string): string {
  return [
    '    |influxDBOut()',
    `        .database('${db}')`,
    `        .measurement('${measurement}')`,
    '        .flushInterval(50ms)',
    '',
  ].join('\n');
}

/** A stream task: `@edgeDetect` on `state.value` per host, written to `measurement` of `db`. */
export function edgeScript(db: string, measurement: string, opts: { dbrp?: boolean; extra?: string } = {}): string {
  return [
    ...(opts.dbrp === true ? [`dbrp "${db}"."autogen"`] : []),
    'stream',
    '    |from()',
    "        .measurement('state')",
    "        .groupBy('host')",
    '    @edgeDetect()',
    "        .field('value')",
    "        .previous('prev_')",
    "        .durationField('dur')",
    opts.extra ?? '',
    influxOut(db, measurement),
  ].join('\n');
}

/** `load.v` per group through `@movingAverage` (size 10) then `@mirror`, counted. */
export function steadyScript(db: string): string {
  return `dbrp "${db}"."autogen"\n\nstream\n    |from()\n        .measurement('load')\n        .groupBy('g')\n    @movingAverage()\n        .field('v')\n        .size(10)\n    @mirror()\n    |count('avg')\n`;
}

interface NodeStats {
  collected: number;
  emitted: number;
  errors: number;
}

/**
 * Writes 500 points every ~20 ms for `ms` to the task `id` (a steadyScript), asserting after every
 * write that Kapacitor still runs it; then waits until every point has come out of `@mirror` and
 * asserts both functions' nodes collected and emitted every point with no error. Returns the
 * number of points sent.
 */
export async function steadyLoad(kapacitor: Kapacitord, db: string, id: string, ms: number): Promise<number> {
  let sent = 0;
  let t = 1_700_000_100_000_000_000n;
  const started = Date.now();
  while (Date.now() - started < ms) {
    const lines: string[] = [];
    for (let i = 0; i < 500; i += 1, sent += 1) {
      t += 1_000_000n;
      lines.push(`load,g=g${sent % 16} v=${(sent % 100) / 10} ${t}`);
    }
    await kapacitor.write(db, 'autogen', lines);
    await new Promise((r) => setTimeout(r, 20));
    const task = await kapacitor.task(id);
    assert.equal(
      task.executing,
      true,
      `the task stopped after ${Date.now() - started} ms: ${task.error}\n${kapacitor.log.slice(-2000)}`,
    );
  }
  const stats = async (): Promise<Record<string, NodeStats>> =>
    ((await kapacitor.task(id)) as unknown as { stats: { 'node-stats': Record<string, NodeStats> } }).stats[
      'node-stats'
    ];
  await waitFor(
    'every point through both functions',
    async () => Object.entries(await stats()).some(([name, s]) => name.startsWith('mirror') && s.emitted === sent),
    20_000,
    100,
  );
  const udfs = Object.entries(await stats()).filter(([n]) => n.startsWith('movingAverage') || n.startsWith('mirror'));
  assert.equal(udfs.length, 2);
  for (const [name, s] of udfs) assert.deepEqual([s.collected, s.emitted, s.errors], [sent, sent, 0], name);
  return sent;
}
