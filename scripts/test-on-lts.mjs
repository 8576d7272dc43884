// Runs the compiled test suite again on the Node line the Docker image ships (26 LTS), next to
// the Node 20 this machine has. The runtime comes from the npm registry's `node-<os>-<cpu>`
// package (the official binary; `npm pack` checks the registry's integrity hash), kept under
// .cache/ so a second run does not fetch it again. Run `npm test` (or `npm run build`) first.
//
// Why a second runtime: stream defaults differ between lines. From Node 22 a socket's
// high-water mark is 64 KiB instead of 16, and the host once stopped reading for good on it;
// Node 20 alone did not show it.
//
//   LTS_NODE_VERSION=26.10.0 node scripts/test-on-lts.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

// The newest 26.x the registry's node-<os>-<cpu> packages carry; 26.13.0, the image's pin, is
// 26.12.1 with LTS metadata.
const version = process.env.LTS_NODE_VERSION ?? '26.10.0';
const pkg = `node-${process.platform}-${process.arch}`;
const cacheDir = resolve('.cache', 'lts-node');
const home = join(cacheDir, `${pkg}-${version}`);
const nodeBin = join(home, 'bin', 'node');

if (!existsSync(nodeBin)) {
  mkdirSync(cacheDir, { recursive: true });
  console.log(`fetching ${pkg}@${version} from the npm registry`);
  const tarball = execFileSync('npm', ['pack', `${pkg}@${version}`, '--silent', '--pack-destination', cacheDir], {
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .at(-1);
  const unpacked = join(cacheDir, 'unpack');
  rmSync(unpacked, { recursive: true, force: true });
  mkdirSync(unpacked);
  execFileSync('tar', ['xzf', join(cacheDir, tarball), '-C', unpacked]);
  rmSync(join(cacheDir, tarball));
  renameSync(join(unpacked, 'package'), home);
  rmSync(unpacked, { recursive: true, force: true });
}

const actual = execFileSync(nodeBin, ['--version'], { encoding: 'utf8' }).trim();
if (actual !== `v${version}`) {
  console.error(`${nodeBin} reports ${actual}, expected v${version}`);
  process.exit(1);
}
console.log(`running the test suite on Node ${actual}`);
// The suite starts its children (kudf, fixtures) with process.execPath, so they run on it too.
const run = spawnSync(nodeBin, ['scripts/run-tests.mjs'], {
  stdio: 'inherit',
  env: { ...process.env, PATH: `${join(home, 'bin')}:${process.env.PATH ?? ''}` },
});
process.exit(run.status ?? 1);
