/** The seed ADSL state table (test/fixtures/edge) and what the sandbox's tasks make of it. */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KUDF, REPO_ROOT } from '../helpers/index.js';

export interface StateChange {
  time: bigint;
  value: string;
  prevValue?: string;
  prevDurationS?: number;
}

const LINE = /^adsl_connection,host=(\S+) value="([^"]*)" (\d+)$/;

function readStates(file: string): Array<{ host: string; value: string; time: bigint }> {
  return readFileSync(join(REPO_ROOT, 'test/fixtures/edge', file), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const m = LINE.exec(l);
      if (m === null) throw new Error(`unexpected fixture line ${l}`);
      return { host: m[1]!, value: m[2]!, time: BigInt(m[3]!) };
    });
}

/**
 * The seed states as the poller writes them (with `state_class` and `line_up` next to the
 * printed `value`), and the changes the fixture's expected file lists, each with the previous
 * state and how long it lasted in seconds, as adsl_state_changes.tick's header promises.
 */
export function seedStateTable(): { lines: string[]; changes: StateChange[] } {
  const lines = readStates('adsl_connection.input.lp').map(
    (s) =>
      `adsl_connection,host=${s.host} value="${s.value}",state_class="${s.value.toLowerCase()}",line_up=${s.value === 'SHOWTIME'} ${s.time}`,
  );
  const expected = readStates('adsl_connection.expected.lp');
  const changes = expected.map((s, i): StateChange => {
    const prev = expected[i - 1];
    if (prev === undefined) return { time: s.time, value: s.value };
    return { time: s.time, value: s.value, prevValue: prev.value, prevDurationS: Number(s.time - prev.time) / 1e9 };
  });
  return { lines, changes };
}

/** Runs `kudf publish` with the lines on stdin. */
export function publishLines(lines: string[], args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [KUDF, 'publish', '--format', 'lp', ...args], {
    input: `${lines.join('\n')}\n`,
    encoding: 'utf8',
    timeout: 60_000,
  });
}
