import { readFile } from 'node:fs/promises';
import type { Command, CommanderError } from 'commander';
import { isParserFamily, parseStatus, PARSER_FAMILIES } from '../ingest/parsers/index.js';

const EXIT_PARSED = 0;
const EXIT_PARSE_ISSUE = 1;
const EXIT_USAGE = 2;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
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
    // Usage errors exit 2 so scripts can tell them from "output not understood" (1).
    .exitOverride((err: CommanderError) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE))
    .action(async (file: string, opts: { family: string }) => {
      const family = opts.family;
      if (family !== 'auto' && !isParserFamily(family)) {
        process.stderr.write(`kudf parse: unknown family "${family}" (expected auto, ${PARSER_FAMILIES.join(', ')})\n`);
        process.exitCode = EXIT_USAGE;
        return;
      }
      let text: string;
      try {
        text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
      } catch (err) {
        process.stderr.write(`kudf parse: cannot read ${file}: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = EXIT_USAGE;
        return;
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
