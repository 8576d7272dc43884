import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { loadRegistry, udfModuleUrls } from '../host/index.js';
import type { UdfDefinition } from '../sdk/index.js';
import { formatArguments } from '../tickscript/index.js';
import { formatDurationMs } from '../config-grammar/index.js';
import { defaultSocketDir, durationOption } from './arg-parsers.js';

interface FunctionsFlags {
  json: boolean;
  conf: boolean;
  process: boolean;
  socketDir: string;
  /** Milliseconds; written to kapacitor.conf in a form Kapacitor's duration parser takes (`10s`, `1m30s`). */
  timeout: number;
  udfDir?: string;
  prog: string;
}

/** A plain description of a function's declaration, for text and JSON listings. */
export function describeFunction(def: UdfDefinition): Record<string, unknown> {
  return {
    name: def.name,
    description: def.description,
    wants: def.wants,
    provides: def.provides,
    options: Object.entries(def.options).map(([name, spec]) => ({
      name,
      valueTypes: [...spec.valueTypes],
      required: spec.isRequired,
      repeatable: spec.isRepeatable,
      ...(spec.defaultValue !== undefined ? { default: formatArguments(spec.defaultValue, spec.valueTypes) } : {}),
      description: spec.description,
    })),
    ...(def.example !== undefined ? { example: def.example } : {}),
  };
}

function toml(value: string): string {
  return JSON.stringify(value);
}

/**
 * What Kapacitor passes to `prog` for a function: the process must load the same functions as
 * this listing, so a `--udf-dir` goes along, made absolute (Kapacitor's working directory is not
 * ours).
 */
function processArgs(name: string, udfDir: string | undefined): string[] {
  const args = ['serve', '--stdio', name];
  if (udfDir !== undefined) args.push('--udf-dir', resolve(udfDir));
  return args;
}

/** kapacitor.conf blocks for every function: socket mode, or process mode (`prog`/`args`). */
export function kapacitorConf(
  defs: readonly UdfDefinition[],
  flags: Pick<FunctionsFlags, 'socketDir' | 'timeout' | 'process' | 'prog' | 'udfDir'>,
): string {
  return defs
    .map((def) => {
      const head = `[udf.functions.${def.name}]\n`;
      const body = flags.process
        ? `  prog = ${toml(flags.prog)}\n  args = [${processArgs(def.name, flags.udfDir).map(toml).join(', ')}]\n`
        : `  socket = ${toml(join(flags.socketDir, `${def.name}.sock`))}\n`;
      return `${head}${body}  timeout = ${toml(formatDurationMs(flags.timeout))}\n`;
    })
    .join('\n');
}

function formatText(def: UdfDefinition): string {
  const lines = [`${def.name} (${def.wants} -> ${def.provides}): ${def.description}`];
  for (const [name, spec] of Object.entries(def.options)) {
    const flags = [
      spec.isRequired ? 'required' : '',
      spec.isRepeatable ? 'repeatable' : '',
      spec.defaultValue !== undefined ? `default ${formatArguments(spec.defaultValue, spec.valueTypes)}` : '',
    ]
      .filter((f) => f !== '')
      .join(', ');
    lines.push(
      `  .${name}(${spec.valueTypes.join(', ')})${flags !== '' ? ` [${flags}]` : ''}${spec.description !== '' ? `  ${spec.description}` : ''}`,
    );
  }
  return lines.join('\n');
}

/** `kudf functions`: what the host serves, and ready-to-paste kapacitor.conf blocks. */
export function registerFunctions(program: Command): void {
  program
    .command('functions')
    .description('list the functions and their options, or print kapacitor.conf blocks for them')
    .option('--json', 'list as JSON', false)
    .option('--conf', 'print [udf.functions.<name>] blocks for kapacitor.conf', false)
    .option('--process', 'with --conf: process mode (prog/args) instead of sockets', false)
    .option('--socket-dir <dir>', 'with --conf: the socket directory as Kapacitor sees it', defaultSocketDir())
    .addOption(durationOption('--timeout <duration>', 'with --conf: the UDF timeout', { default: 10_000 }))
    .option('--prog <path>', 'with --conf --process: the kudf executable', '/usr/local/bin/kudf')
    .option('--udf-dir <dir>', 'also load functions from this directory (with --conf --process, in each process too)')
    .action(async (flags: FunctionsFlags) => {
      const defs = [...(await loadRegistry(await udfModuleUrls(flags.udfDir))).values()];
      if (flags.conf) process.stdout.write(kapacitorConf(defs, flags));
      else if (flags.json) process.stdout.write(`${JSON.stringify(defs.map(describeFunction), null, 2)}\n`);
      else process.stdout.write(`${defs.map(formatText).join('\n\n')}\n`);
    });
}
