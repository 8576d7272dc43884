import { CliError } from './cli-errors.js';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { isParserFamily, parseStatus, PARSER_FAMILIES } from '../ingest/parsers/index.js';

const EXIT_PARSED = 0;
const EXIT_PARSE_ISSUE = 1;
const EXIT_USAGE = 2;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * `kudf parse [--family F] FILE`: parses one saved router status output (FILE `-` = stdin)
 * and prints the outcome as JSON. Exit 0 parsed, 1 parse issue, 2 usage or I/O error.
 */
export function registerParse(program: Command): void {
  program
    .command('parse')
    .description('parse a saved DSL router status output and print it as JSON')
    .argument('<file>', 'file with the command output, or - for stdin')
    .option('-f, --family <family>', `router family: auto, ${PARSER_FAMILIES.join(', ')}`, 'auto')
    .action(async (file: string, opts: { family: string }) => {
      const family = opts.family;
      if (family !== 'auto' && !isParserFamily(family))
        throw new CliError('KUDF_USAGE', `unknown family "${family}" (expected auto, ${PARSER_FAMILIES.join(', ')})`);
      let text: string;
      try {
        text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
      } catch (err) {
        throw new CliError(
          'KUDF_USAGE',
          `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`,
          EXIT_USAGE,
          { cause: err },
        );
      }
      const outcome = parseStatus(family, text);
      process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
      if (!outcome.ok) {
        process.stderr.write(`kudf parse: ${file === '-' ? 'stdin' : file}: ${outcome.reason}\n`);
        process.exitCode = EXIT_PARSE_ISSUE;
      } else {
        process.exitCode = EXIT_PARSED;
      }
    });
}
