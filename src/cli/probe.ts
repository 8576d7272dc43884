import { CliError } from './cli-errors.js';
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { formatLine, parseLineProtocol } from '../line-protocol/index.js';
import { outputAsLines, parseOptionArg, probeInfo, probeRun, type ProbeTarget } from '../probe/index.js';
import type { InitOption } from '../protocol/index.js';
import { durationOption, intArg } from './arg-parsers.js';
import { jsonLine, pointToJson } from './probe-format.js';

interface TargetFlags {
  socket?: string;
  prog?: string;
  timeout: number;
}

/** Splits a `--prog` command line on whitespace, honouring single and double quotes. */
function splitCommand(line: string): string[] {
  const words: string[] = [];
  for (const m of line.matchAll(/"((?:\\.|[^"\\])*)"|'([^']*)'|(\S+)/g)) words.push(m[1] ?? m[2] ?? m[3] ?? '');
  return words;
}

function target(flags: TargetFlags): ProbeTarget {
  if ((flags.socket === undefined) === (flags.prog === undefined))
    throw new CliError('KUDF_USAGE', 'give exactly one of --socket PATH or --prog "CMD ARGS"');
  if (flags.socket !== undefined) return { socket: flags.socket };
  const [prog, ...args] = splitCommand(flags.prog ?? '');
  if (prog === undefined) throw new CliError('KUDF_USAGE', '--prog needs a command');
  return { prog, args };
}

/** A failed probe ends as Kapacitor would see it: the CLI's handler prints it with its code. */
function fail(err: unknown): never {
  throw err;
}

interface RunFlags extends TargetFlags {
  opt: InitOption[];
  points?: string;
  groupBy?: string;
  byName: boolean;
  batch: boolean;
  database: string;
  rp: string;
  restore?: string;
  snapshot?: string;
  format: 'lp' | 'json';
  taskId: string;
  nodeId: string;
  chunk: number;
}

/** `kudf probe`: talk to a UDF as Kapacitor does. */
export function registerProbe(program: Command): void {
  const probe = program
    .command('probe')
    .description('talk to a UDF socket or process as Kapacitor does (debugging, tests)');
  const targetOptions = (cmd: Command): Command =>
    cmd
      .option('--socket <path>', 'the UDF socket')
      .option('--prog <command>', 'a process UDF command line, e.g. "kudf serve --stdio mirror"')
      .addOption(
        durationOption('--timeout <duration>', "Kapacitor's UDF timeout: keepalives every timeout/2", {
          default: 10_000,
        }),
      );

  targetOptions(probe.command('info').description('ask for Info and print the options as JSON')).action(
    async (flags: TargetFlags) => {
      try {
        const info = await probeInfo(target(flags), flags.timeout);
        process.stdout.write(
          `${JSON.stringify({ wants: info.wants, provides: info.provides, options: info.options }, null, 2)}\n`,
        );
      } catch (err) {
        fail(err);
      }
    },
  );

  targetOptions(
    probe.command('run').description('Init, optional Restore, send points, optional Snapshot; print what comes back'),
  )
    .option(
      '--opt <name=value:type>',
      'an Init option (repeatable), e.g. --opt field=value:string --opt size=10:int',
      (v: string, acc: InitOption[]) => [...acc, parseOptionArg(v)],
      [] as InitOption[],
    )
    .option('--points <file>', 'line protocol to send (- for stdin)')
    .option('--group-by <tags>', 'comma-separated tags, as groupBy() in a TICKscript')
    .option('--by-name', 'group by measurement too (byMeasurement())', false)
    .option('--batch', 'send one batch per group instead of a stream', false)
    .option('--database <db>', 'database set on stream points', 'telegraf')
    .option('--rp <rp>', 'retention policy set on stream points', 'autogen')
    .option('--restore <file>', 'send this snapshot in a RestoreRequest after Init')
    .option('--snapshot <file>', 'ask for a snapshot at the end and save it here')
    .option('--format <format>', 'output: lp (line protocol) or json (every point field)', 'lp')
    .option('--task-id <id>', 'taskID sent in Init', 'probe')
    .option('--node-id <id>', 'nodeID sent in Init', 'udf1')
    .option('--chunk <n>', 'points per write', intArg(1), 1000)
    .action(async (flags: RunFlags) => {
      try {
        const text =
          flags.points === undefined ? '' : await readFile(flags.points === '-' ? '/dev/stdin' : flags.points, 'utf8');
        const result = await probeRun({
          target: target(flags),
          options: flags.opt,
          taskID: flags.taskId,
          nodeID: flags.nodeId,
          points: parseLineProtocol(text),
          grouping: { dimensions: (flags.groupBy ?? '').split(',').filter((t) => t !== ''), byName: flags.byName },
          database: flags.database,
          retentionPolicy: flags.rp,
          batch: flags.batch,
          ...(flags.restore !== undefined ? { restore: await readFile(flags.restore) } : {}),
          snapshot: flags.snapshot !== undefined,
          timeoutMs: flags.timeout,
          chunk: flags.chunk,
        });
        if (!result.init.success) throw new Error(`Init failed: ${result.init.error}`);
        if (result.restore !== undefined && !result.restore.success)
          throw new Error(`Restore failed: ${result.restore.error}`);
        if (flags.format === 'json') {
          for (const item of result.output) {
            if (item.kind === 'point') process.stdout.write(`${jsonLine({ point: pointToJson(item.point) })}\n`);
            else
              process.stdout.write(
                `${jsonLine({ batch: { begin: item.batch.begin, points: item.batch.points.map(pointToJson), end: item.batch.end } })}\n`,
              );
          }
        } else {
          for (const line of outputAsLines(result.output)) process.stdout.write(`${formatLine(line)}\n`);
        }
        if (flags.snapshot !== undefined && result.snapshot !== undefined)
          await writeFile(flags.snapshot, result.snapshot);
      } catch (err) {
        fail(err);
      }
    });
}
