/**
 * The module boundaries of .dependency-cruiser.mjs, which `npm run lint` checks: the real tree
 * keeps them, and a small tree that breaks each rule once (beside files that keep them) fails
 * with exactly those breaks, so every rule is shown to bite and none to fire on a good import.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO } from './deploy-files.js';

const CONFIG = join(REPO, '.dependency-cruiser.mjs');
const DEPCRUISE = join(REPO, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const ROOTS = ['src', 'udfs', 'test', 'bench', 'scripts'];

interface Violation {
  type: string;
  from: string;
  to: string;
  rule: { name: string; severity: string };
}

/** `npm run lint`'s dependency-cruiser step in `cwd`: its exit status and report. */
function depcruise(cwd: string, outputType: 'err' | 'json'): { status: number | null; stdout: string } {
  const res = spawnSync(process.execPath, [DEPCRUISE, '--config', CONFIG, '--output-type', outputType, ...ROOTS], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: res.status, stdout: res.stdout + res.stderr };
}

/** The rule, source and target of each violation (for a cycle, its first two members). */
function violations(cwd: string): string[] {
  // The JSON reporter exits 0 whatever it finds; the status is asserted from the plain one.
  const report = JSON.parse(depcruise(cwd, 'json').stdout) as { summary: { violations: Violation[] } };
  return [...new Set(report.summary.violations.map((v) => `${v.rule.name} ${v.from} ${v.to}`))].sort();
}

/** Each file of the planted tree; a comment on an import names the rule it breaks. */
const PLANTED: Record<string, string> = {
  'tsconfig.json': JSON.stringify({
    compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true },
    include: ROOTS.map((root) => `${root}/**/*.ts`),
  }),
  // Folders and their doors.
  'src/protocol/index.ts': "export { encode } from './codec.js';\n",
  'src/protocol/codec.ts': 'export const encode = (): number => 1;\n',
  'src/sdk/index.ts': "export { defineUdf } from './define.js';\n",
  'src/sdk/define.ts': 'export const defineUdf = <T>(d: T): T => d;\n',
  'src/sdk/internal.ts': "export { defineUdf as validate } from './define.js';\n",
  'src/host/index.ts': "export { serve } from './serve.js';\n",
  'src/host/serve.ts': [
    "import { validate } from '../sdk/internal.js';", // allowed: the host may use the SDK's second door
    "import { encode } from '../protocol/index.js';", // allowed: through the door
    "import type { Poll } from '../ingest/index.js';", // host-not-ingest (and a folder cycle with the next)
    'export const serve = (p?: Poll): unknown => [validate, encode, p];',
    '',
  ].join('\n'),
  'src/host/internal.ts': "export { serve as runner } from './serve.js';\n",
  'src/ingest/index.ts': "export { poll } from './poll.js';\nexport type Poll = () => unknown;\n",
  'src/ingest/poll.ts': [
    "import { runner } from '../host/internal.js';", // ingest-not-host, internal-door
    'export const poll = (): unknown => runner;',
    '',
  ].join('\n'),
  'src/ingest/writer/index.ts': "export { write } from './write.js';\n",
  'src/ingest/writer/write.ts': [
    "import { poll } from '../index.js';", // no-parent-folder
    "import { encode } from '../../protocol/codec.js';", // through-the-door
    'export const write = (): unknown => [poll, encode];',
    '',
  ].join('\n'),
  'src/ingest/writer/deep/index.ts': "export { deep } from './deep.js';\n",
  'src/ingest/writer/deep/deep.ts': [
    "import { poll } from '../../index.js';", // no-grandparent-folder
    'export const deep = (): unknown => poll;',
    '',
  ].join('\n'),
  // A runtime cycle between two modules of one folder.
  'src/loop/a.ts': "import { b } from './b.js';\nexport const a = (): unknown => b;\n", // no-circular
  'src/loop/b.ts': "import { a } from './a.js';\nexport const b = (): unknown => a;\n", // no-circular
  // A cycle of type-only imports inside one folder loads nothing: allowed.
  'src/types/a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n",
  'src/types/b.ts': "import type { A } from './a.js';\nexport interface B { a?: A }\n",
  // Two folders that need each other, through their doors and by types alone.
  'src/left/index.ts': "import type { Right } from '../right/index.js';\nexport interface Left { r?: Right }\n", // no-folder-cycle
  'src/right/index.ts': "import type { Left } from '../left/index.js';\nexport interface Right { l?: Left }\n", // no-folder-cycle
  'src/misc/index.ts': [
    "import { harness } from '../../test/helpers/index.js';", // shipped-code-not-tests
    "import { gone } from './missing.js';", // resolvable
    "import { extra } from '../extra/internal.js';", // undeclared-internal-door
    'export const misc = (): unknown => [harness, gone, extra];',
    '',
  ].join('\n'),
  'src/extra/internal.ts': 'export const extra = 1;\n',
  'udfs/index.ts': [
    "import { defineUdf } from '../src/sdk/index.js';", // allowed: the public SDK
    "import { validate } from '../src/sdk/internal.js';", // functions-see-the-sdk, internal-door
    "import { encode } from '../src/protocol/index.js';", // functions-see-the-sdk
    'export const builtins = [defineUdf, validate, encode];',
    '',
  ].join('\n'),
  'udfs/internal.ts': 'export const quantile = 1;\n',
  'test/helpers/index.ts': "export { harness } from './harness.js';\n",
  'test/helpers/harness.ts': 'export const harness = 1;\n',
  'test/unit/host.test.ts': [
    "import { runner } from '../../src/host/internal.js';", // allowed: tests may use the host's second door
    "import { quantile } from '../../udfs/internal.js';", // allowed
    "import { harness } from '../helpers/index.js';", // allowed
    "import { serve } from '../../src/host/serve.js';", // through-the-door
    'export const used = [runner, quantile, harness, serve];',
    '',
  ].join('\n'),
  'bench/run.ts': [
    "import { harness } from '../test/helpers/harness.js';", // through-the-door
    "import { quantile } from '../udfs/internal.js';", // internal-door: udfs/internal.ts is for test/ only
    'export const bench = [harness, quantile];',
    '',
  ].join('\n'),
  'scripts/fuzz.ts': "import { runner } from '../src/host/internal.js';\nexport const fuzz = runner;\n", // allowed
};

/** What the planted tree must report: rule, from, to (for a folder cycle the two folders). */
const EXPECTED = [
  'functions-see-the-sdk udfs/index.ts src/protocol/index.ts',
  'functions-see-the-sdk udfs/index.ts src/sdk/internal.ts',
  'host-not-ingest src/host/serve.ts src/ingest/index.ts',
  'ingest-not-host src/ingest/poll.ts src/host/internal.ts',
  'internal-door bench/run.ts udfs/internal.ts',
  'internal-door src/ingest/poll.ts src/host/internal.ts',
  'internal-door udfs/index.ts src/sdk/internal.ts',
  'no-circular src/loop/a.ts src/loop/b.ts',
  'no-folder-cycle src/host src/ingest',
  'no-folder-cycle src/ingest src/host',
  'no-folder-cycle src/left src/right',
  'no-folder-cycle src/right src/left',
  'no-grandparent-folder src/ingest/writer/deep/deep.ts src/ingest/index.ts',
  'no-parent-folder src/ingest/writer/write.ts src/ingest/index.ts',
  'resolvable src/misc/index.ts ./missing.js',
  'shipped-code-not-tests src/misc/index.ts test/helpers/index.ts',
  'through-the-door bench/run.ts test/helpers/harness.ts',
  'through-the-door src/ingest/writer/write.ts src/protocol/codec.ts',
  'through-the-door test/unit/host.test.ts src/host/serve.ts',
  'undeclared-internal-door src/misc/index.ts src/extra/internal.ts',
];

describe('module boundaries', () => {
  it('npm run lint checks them with dependency-cruiser on every folder of code', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts['lint'] ?? '', /depcruise --config \.dependency-cruiser\.mjs src udfs test bench scripts/);
  });

  it('the tree keeps them', () => {
    const res = depcruise(REPO, 'err');
    assert.equal(res.status, 0, res.stdout);
    // Every shipped module was looked at, so the pass is not an empty one.
    const cruised = Number(/no dependency violations found \((\d+) modules/.exec(res.stdout)?.[1]);
    const shipped = ['src', 'udfs'].flatMap((root) =>
      readdirSync(join(REPO, root), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')),
    );
    assert.ok(cruised > shipped.length, `${cruised} modules cruised, ${shipped.length} in src/ and udfs/ alone`);
  });

  describe('a tree that breaks each rule once', () => {
    const tree = mkdtempSync(join(tmpdir(), 'kudf-boundaries-'));
    after(() => rmSync(tree, { recursive: true, force: true }));
    for (const [file, text] of Object.entries(PLANTED)) {
      mkdirSync(dirname(join(tree, file)), { recursive: true });
      writeFileSync(join(tree, file), text);
    }

    it('fails the check', () => {
      const res = depcruise(tree, 'err');
      assert.notEqual(res.status, 0, `the check passed a tree that breaks every rule:\n${res.stdout}`);
      assert.match(res.stdout, /dependency violations/);
    });

    it('reports exactly the planted breaks, each under its rule', () => {
      assert.deepEqual(violations(tree), EXPECTED);
    });
  });
});
