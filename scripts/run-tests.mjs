// Runs the compiled test files with node's test runner. Node 20 does not expand globs
// in `--test`, so the files are listed here. Arguments name the test folders to run
// (`test/unit`, `test/e2e`; default: all of `test`); TEST_FILTER narrows the run to paths
// containing that text.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir) {
  let out = [];
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (p.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filter = process.env.TEST_FILTER ?? '';
const roots = process.argv.length > 2 ? process.argv.slice(2).map((dir) => join('dist', dir)) : ['dist/test'];
const files = roots
  .flatMap((root) => walk(root))
  .filter((f) => f.includes(filter))
  .sort();
if (files.length === 0) {
  console.error(`no test files match "${filter}"`);
  process.exit(1);
}
// The host and the poller read KUDF_* variables as defaults for their flags (KUDF_LOG_LEVEL,
// KUDF_STALL_TIMEOUT, ...). Tests spawn both and expect the documented defaults, so a
// developer's own settings are not passed on; a test that wants one sets it itself.
const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('KUDF_')));
const args = ['--test', '--test-reporter=spec', `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files];
const res = spawnSync(process.execPath, args, { stdio: 'inherit', env });
process.exit(res.status ?? 1);
