/**
 * Output no router prints on a good day: long runs of blanks and tabs inside the lines of a real
 * layout. A pattern that tries a label at every blank of a run costs the run's length squared
 * (the DrayTek parser did: 2,000 blanks took 1.9 s, and a 1 MiB output would have stalled the
 * poller for hours). Every family must give its answer, parsed or refused, without throwing.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { parseStatus, PARSER_FAMILIES, type ParseOutcome } from '../../../../src/ingest/parsers/index.js';
import { REPO_ROOT } from '../../../helpers/index.js';

const FIXTURES = join(REPO_ROOT, 'test/fixtures/adsl');
const RUN = 16 * 1024;
// Linear parsing takes well under a second here; quadratic parsing took 5 minutes.
const DEADLINE_MS = 30_000;
const PARSERS_URL = new URL('../../../../src/ingest/parsers/index.js', import.meta.url).href;

/**
 * Every family's outcome for `text`, parsed on a worker thread so that a parse that never ends
 * is stopped and reported (a synchronous parse on the test's own thread could not be).
 */
async function outcomesOf(text: string): Promise<[string, ParseOutcome][]> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.url).then(({ parseStatus }) => {
      parentPort.postMessage(workerData.families.map((f) => [f, parseStatus(f, workerData.text)]));
    });`;
  const worker = new Worker(code, {
    eval: true,
    workerData: { url: PARSERS_URL, text, families: ['auto', ...PARSER_FAMILIES] },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      new Promise<[string, ParseOutcome][]>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`parsing did not finish within ${DEADLINE_MS / 1000} s`)),
          DEADLINE_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await worker.terminate();
  }
}

function padded(text: string, blank: string): string {
  return text
    .split('\n')
    .map((line, i) => (i % 4 === 1 ? `${blank.repeat(RUN)}${line}${blank.repeat(RUN)}` : line))
    .join('\n');
}

describe('parsers on outputs with long runs of blanks', () => {
  const samples = [
    'draytek-vdsl-status-more-1.txt',
    'broadcom-xdslctl-info-stats-1.txt',
    'cisco-show-dsl-interface-atm0-1.txt',
  ];
  for (const file of samples) {
    for (const blank of [' ', '\t']) {
      it(`${file}, ${blank === ' ' ? 'blanks' : 'tabs'}: every family answers`, async () => {
        const text = padded(readFileSync(join(FIXTURES, file), 'utf8'), blank);
        assert.ok(text.length > 4 * RUN);
        const outcomes = await outcomesOf(text);
        assert.equal(outcomes.length, PARSER_FAMILIES.length + 1);
        for (const [family, outcome] of outcomes) {
          assert.ok(
            outcome.ok || !outcome.reason.startsWith('parser failed'),
            `${family}: ${outcome.ok ? '' : outcome.reason}`,
          );
        }
        // The blanks do not hide the layout from the family that prints it.
        const auto = outcomes[0]?.[1];
        assert.ok(auto?.ok, JSON.stringify(auto));
      });
    }
  }

  it('the samples exist', () => {
    const names = readdirSync(FIXTURES);
    for (const file of samples) assert.ok(names.includes(file), file);
  });
});

describe('parsers on mutated real outputs', () => {
  const seeds = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.txt'))
    .map((f) => readFileSync(join(FIXTURES, f), 'utf8'));

  // Lines dropped, repeated, cut, stretched or spliced from another output, with LF or CRLF.
  const mutated = fc
    .record({
      seed: fc.nat({ max: seeds.length - 1 }),
      edits: fc.array(
        fc.record({ op: fc.nat({ max: 4 }), at: fc.nat(), other: fc.nat(), text: fc.string({ maxLength: 40 }) }),
        { minLength: 1, maxLength: 6 },
      ),
      crlf: fc.boolean(),
    })
    .map(({ seed, edits, crlf }) => {
      const lines = (seeds[seed] ?? '').split('\n');
      for (const { op, at, other, text } of edits) {
        const i = at % Math.max(lines.length, 1);
        const line = lines[i] ?? '';
        if (op === 0) lines.splice(i, 1);
        else if (op === 1) lines.splice(i, 0, lines[other % lines.length] ?? '');
        else if (op === 2) lines[i] = line.slice(0, other % (line.length + 1)) + text;
        else if (op === 3) lines[i] = `${text}${line}${text}`;
        else lines[i] = `${line} ${(seeds[other % seeds.length] ?? '').slice(0, 200).replace(/\n/g, ' ')}`;
      }
      return lines.join(crlf ? '\r\n' : '\n');
    });

  it('never throw and never give a number that is not finite, whatever family is asked', () => {
    fc.assert(
      fc.property(mutated, (text) => {
        for (const family of ['auto' as const, ...PARSER_FAMILIES]) {
          const outcome = parseStatus(family, text);
          if (!outcome.ok) {
            assert.ok(!outcome.reason.startsWith('parser failed'), `${family}: ${outcome.reason}`);
            continue;
          }
          for (const [key, value] of Object.entries(outcome.status)) {
            if (typeof value === 'number') assert.ok(Number.isFinite(value), `${family}: ${key} = ${value}`);
          }
        }
      }),
      { numRuns: 1500, seed: 20261123 },
    );
  });
});
