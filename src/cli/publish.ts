/**
 * `kudf publish`: points from stdin to the configured writer (the same flags, environment
 * and `.env` as `kudf poll`). Input: line protocol, or JSON points one per line, or one JSON
 * array (see `src/ingest/writer/json-points.ts` for the JSON shape); `--format auto` decides
 * from the first non-blank character. Logs go to stderr, so stdout can carry line protocol
 * when no database is configured.
 *
 * Exit codes: 0 every point delivered (or printed); 1 some input could not be read as a point
 * (the rest was written); 2 bad usage or settings; 3 points stay in the queue for the next
 * run with the same `--queue-dir` (nothing is lost).
 */
import { CliError } from './cli-errors.js';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { parseLine, type LinePoint } from '../line-protocol/index.js';
import { createLogger, LOG_LEVELS, type LogFormat, type LogLevel, type Logger } from '../log/index.js';
import { logFormatOption, logLevelOption } from './arg-parsers.js';
import { addInfluxOptions } from './influx-options.js';
import {
  createWriter,
  pointFromJson,
  resolveInfluxSettings,
  type InfluxFlags,
  type PointWriter,
} from '../ingest/writer/index.js';

const CHUNK = 1000;

interface PublishOptions extends InfluxFlags {
  format?: string;
  envFile?: string;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
}

export function registerPublish(program: Command): void {
  const cmd = program
    .command('publish')
    .description('write points from stdin (line protocol or JSON) to InfluxDB, or to stdout when none is configured')
    .option('--format <format>', 'auto, lp or json', 'auto')
    .addOption(logLevelOption(`one of ${LOG_LEVELS.join(', ')}`))
    .addOption(logFormatOption());
  addInfluxOptions(cmd).action(async (opts: PublishOptions) => {
    process.exitCode = await publish(opts, process.stdin, process.env);
  });
}

/** Runs a publish; returns the exit code. Exported for tests. */
export async function publish(
  opts: PublishOptions,
  input: Readable,
  env: Readonly<Record<string, string | undefined>>,
): Promise<number> {
  const level: LogLevel = opts.logLevel ?? 'info';
  const logger = createLogger({
    level,
    fd: 2,
    name: 'kudf-publish',
    ...(opts.logFormat !== undefined ? { format: opts.logFormat } : {}),
  });
  const format = opts.format ?? 'auto';
  if (!['auto', 'lp', 'json'].includes(format))
    throw new CliError('KUDF_USAGE', `--format must be auto, lp or json, got "${format}"`);
  let writer: PointWriter;
  try {
    const dotenv = opts.envFile ?? (existsSync('.env') ? '.env' : undefined);
    writer = createWriter(resolveInfluxSettings(opts, env, dotenv), { logger });
  } catch (err) {
    // The CLI's handler prints it with its code: 2 for the settings, 1 for the queue.
    throw err;
  }
  const bad = await readPoints(input, format as 'auto' | 'lp' | 'json', writer, logger);
  await writer.flush();
  await writer.close();
  const s = writer.stats;
  logger.info({ ...s, badInput: bad }, 'publish done');
  if (bad > 0 || s.invalid > 0) return 1;
  return s.queued > 0 ? 3 : 0;
}

async function readPoints(
  input: Readable,
  format: 'auto' | 'lp' | 'json',
  writer: PointWriter,
  logger: Logger,
): Promise<number> {
  let mode: 'lp' | 'json' | 'array' | undefined = format === 'auto' ? undefined : format;
  let arrayText = '';
  let bad = 0;
  let lineNo = 0;
  let chunk: LinePoint[] = [];
  const push = (p: LinePoint): void => {
    chunk.push(p);
    if (chunk.length >= CHUNK) {
      writer.write(chunk);
      chunk = [];
    }
  };
  const reject = (err: unknown, line: number): void => {
    bad++;
    logger.warn({ line, err: err instanceof Error ? err.message : String(err) }, 'input line is not a point; skipped');
  };
  for await (const line of createInterface({ input, crlfDelay: Infinity })) {
    lineNo++;
    const trimmed = line.trim();
    if (mode === 'array') {
      arrayText += `${line}\n`;
      continue;
    }
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (mode === undefined) mode = trimmed.startsWith('[') ? 'array' : trimmed.startsWith('{') ? 'json' : 'lp';
    if (mode === 'array' || (mode === 'json' && trimmed.startsWith('['))) {
      mode = 'array';
      arrayText += `${line}\n`;
      continue;
    }
    try {
      push(mode === 'json' ? pointFromJson(JSON.parse(trimmed)) : parseLine(line));
    } catch (err) {
      reject(err, lineNo);
    }
  }
  if (mode === 'array') {
    try {
      const all: unknown = JSON.parse(arrayText);
      if (!Array.isArray(all)) throw new Error('expected a JSON array of points');
      all.forEach((p, i) => {
        try {
          push(pointFromJson(p));
        } catch (err) {
          reject(err, i + 1);
        }
      });
    } catch (err) {
      reject(err, 1);
    }
  }
  if (chunk.length > 0) writer.write(chunk);
  return bad;
}
