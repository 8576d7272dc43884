/**
 * The package as a user gets it: the working tree is packed with `npm pack` (its prepack build
 * included) in a temporary copy, the tarball is installed into a fresh project with
 * `npm install <tarball>`, and a TypeScript and a JavaScript function importing
 * `kapacitor-udf-host/sdk` are compiled against the published declarations and served by the
 * installed `kudf serve --udf-dir`, then driven through Info, Init and points by `kudf probe`.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO } from './deploy-files.js';

const work = mkdtempSync(join(tmpdir(), 'kudf-pack-'));
after(() => rmSync(work, { recursive: true, force: true }));

const npmEnv: NodeJS.ProcessEnv = {
  ...process.env,
  // The repository's `npm ci` filled the npm cache: the install needs the registry only for what is not in it.
  npm_config_prefer_offline: 'true',
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: npmEnv, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function ok(res: SpawnSyncReturns<string>, what: string): string {
  assert.equal(res.status, 0, `${what} failed (${res.status ?? res.signal}):\n${res.stdout}\n${res.stderr}`);
  return res.stdout;
}

/** The files a checkout holds (tracked, and untracked but not ignored), copied so that packing does not touch the repository's dist/. */
function stageCheckout(): string {
  const tree = join(work, 'tree');
  const listed = ok(run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], REPO), 'git ls-files');
  for (const file of listed.split('\0').filter((f) => f !== '')) {
    if (!existsSync(join(REPO, file))) continue;
    mkdirSync(dirname(join(tree, file)), { recursive: true });
    cpSync(join(REPO, file), join(tree, file));
  }
  symlinkSync(join(REPO, 'node_modules'), join(tree, 'node_modules'));
  return tree;
}

interface PackedFile {
  path: string;
}

let packed: PackedFile[] = [];
let app = '';
let kudf = '';
let compiled: SpawnSyncReturns<string> | undefined;

const TS_FUNCTION = `import { defineUdf, deriveField, numericField, opt } from 'kapacitor-udf-host/sdk';

export default defineUdf({
  name: 'scaleTs',
  description: 'adds field * factor as the field scaled',
  wants: 'stream',
  provides: 'stream',
  options: {
    field: opt.string().required(),
    factor: opt.double().default(2),
  },
  create: ({ options }) => ({
    point(point, out) {
      // Typed through the published declarations: factor is a number, field a string.
      const factor: number = options.factor;
      const value = numericField(point, options.field);
      if (value !== undefined) out.emit(deriveField(point, 'scaled', value * factor));
    },
  }),
});
`;

/** Wrong on purpose: compiles only if the declarations were missing or typed everything as any. */
const TS_WRONG = `import { opt } from 'kapacitor-udf-host/sdk';

const flag: string = opt.bool().default(true);
export default flag;
`;

const JS_FUNCTION = `import { defineUdf, numericField, opt, withFields } from 'kapacitor-udf-host/sdk';

export default defineUdf({
  name: 'doubleJs',
  description: 'doubles a numeric field in place',
  wants: 'stream',
  provides: 'stream',
  options: { field: opt.string().required() },
  create: ({ options }) => ({
    point(point, out) {
      const value = numericField(point, options.field);
      out.emit(value === undefined ? point : withFields(point, { [options.field]: value * 2 }));
    },
  }),
});
`;

/** A user's TypeScript project next to the installed package: the function, and a file that must not compile. */
function writeTsProject(dir: string): void {
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'src', 'function.ts'), TS_FUNCTION);
  writeFileSync(join(dir, 'src', 'wrong.ts'), TS_WRONG);
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      strict: true,
      // The published declarations are checked as a user's build would check them.
      skipLibCheck: false,
      rootDir: 'src',
      outDir: 'out',
      typeRoots: [join(REPO, 'node_modules/@types')],
      types: ['node'],
    },
    include: ['src/**/*.ts'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
}

describe('the published package', { timeout: 600_000 }, () => {
  before(() => {
    const tree = stageCheckout();
    const out = ok(run('npm', ['pack', '--json', '--pack-destination', work], tree), 'npm pack');
    const report = JSON.parse(out.slice(out.indexOf('['))) as Array<{ filename: string; files: PackedFile[] }>;
    const first = report[0];
    assert.ok(first !== undefined, 'npm pack reported no package');
    packed = first.files;
    app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'kudf-user-functions', version: '1.0.0', private: true, type: 'module' }, null, 2),
    );
    ok(run('npm', ['install', '--ignore-scripts', join(work, first.filename)], app), 'npm install <tarball>');
    kudf = realpathSync(join(app, 'node_modules/.bin/kudf'));
    writeTsProject(app);
    // One compiler run for both files: tsc still emits function.js when wrong.ts fails.
    compiled = run(
      process.execPath,
      [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(app, 'tsconfig.json')],
      app,
    );
  });

  it('ships the compiled code with type declarations, the proto file, LICENSE, README and CHANGELOG, and no source maps', () => {
    const paths = new Set(packed.map((f) => f.path));
    for (const needed of [
      'package.json',
      'LICENSE',
      'README.md',
      'CHANGELOG.md',
      'proto/udf.proto',
      'dist/src/cli/main.js',
      'dist/udfs/index.js',
      'dist/src/sdk/index.js',
      'dist/src/sdk/index.d.ts',
      'dist/src/probe/index.d.ts',
    ]) {
      assert.ok(paths.has(needed), `${needed} is not in the package`);
    }
    assert.deepEqual(
      packed.filter((f) => f.path.endsWith('.map')),
      [],
      'source maps point at sources the package does not ship',
    );
    assert.deepEqual(
      packed.filter((f) => /^(dist\/)?(test|bench|fuzz|scripts)\//.test(f.path)),
      [],
      'tests, benchmarks and scripts stay out',
    );
    assert.deepEqual(
      packed.filter((f) => f.path.endsWith('.ts') && !f.path.endsWith('.d.ts')),
      [],
      'TypeScript sources stay out',
    );
    for (const js of packed.filter((f) => f.path.startsWith('dist/') && f.path.endsWith('.js'))) {
      assert.ok(paths.has(js.path.replace(/\.js$/, '.d.ts')), `${js.path} has no declaration next to it`);
    }
  });

  it('installs with no compiled file naming a source map', () => {
    const dist = join(app, 'node_modules/kapacitor-udf-host/dist');
    const files = readdirSync(dist, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.js'));
    assert.ok(files.length > 50, `only ${files.length} compiled files installed`);
    for (const f of files)
      assert.ok(!readFileSync(join(dist, f), 'utf8').includes('sourceMappingURL'), `${f} names a source map`);
  });

  it('types a function through the published declarations: only the wrongly typed file fails to compile', () => {
    assert.ok(compiled !== undefined);
    assert.notEqual(compiled.status, 0, 'a boolean option builder assigned to a string compiled');
    const errors = compiled.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
    assert.ok(errors.length > 0, compiled.stdout + compiled.stderr);
    for (const e of errors)
      assert.match(
        e,
        /^src\/wrong\.ts\(\d+,\d+\): error TS2322/,
        `the TypeScript function or the declarations fail to compile:\n${compiled.stdout}`,
      );
    assert.ok(existsSync(join(app, 'out', 'function.js')));
  });

  it('serves a TypeScript and a JavaScript function under kudf serve --udf-dir, through Info, Init and points', async () => {
    const udfDir = join(app, 'udfs');
    mkdirSync(udfDir);
    cpSync(join(app, 'out', 'function.js'), join(udfDir, 'scale-ts.js'));
    writeFileSync(join(udfDir, 'double-js.mjs'), JS_FUNCTION);
    const sockets = join(work, 'sockets');
    const host = spawn(
      process.execPath,
      [
        kudf,
        'serve',
        '--socket-dir',
        sockets,
        '--udf-dir',
        udfDir,
        '--functions',
        'scaleTs,doubleJs',
        '--threads',
        '1',
      ],
      { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    host.stdout.setEncoding('utf8').on('data', (t: string) => (log += t));
    host.stderr.setEncoding('utf8').on('data', (t: string) => (log += t));
    const exited = new Promise<number | null>((resolve) => host.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (log.includes('"msg":"host ready"')) resolve();
        };
        host.stdout.on('data', check);
        void exited.then((code) => reject(new Error(`kudf serve exited with ${code}:\n${log}`)));
      });
      const probe = (args: string[]): string =>
        ok(run(process.execPath, [kudf, 'probe', ...args], app), `kudf probe ${args.join(' ')}`);

      const info = JSON.parse(probe(['info', '--socket', join(sockets, 'scaleTs.sock')])) as {
        wants: string;
        provides: string;
        options: Record<string, unknown>;
      };
      assert.equal(info.wants, 'stream');
      assert.deepEqual(Object.keys(info.options).sort(), ['factor', 'field']);

      const points = join(work, 'points.lp');
      writeFileSync(
        points,
        'line,host=a v=2 1000000000\nline,host=a v=5 2000000000\nline,host=a state="up" 3000000000\n',
      );
      const scaled = probe([
        'run',
        '--socket',
        join(sockets, 'scaleTs.sock'),
        '--opt',
        'field=v:string',
        '--opt',
        'factor=3.0:double',
        '--points',
        points,
      ]);
      assert.match(scaled, /^line,host=a scaled=6 1000000000$/m);
      assert.match(scaled, /^line,host=a scaled=15 2000000000$/m);
      assert.doesNotMatch(scaled, /3000000000/, 'a point without the field is not scaled');

      const doubled = probe([
        'run',
        '--socket',
        join(sockets, 'doubleJs.sock'),
        '--opt',
        'field=v:string',
        '--points',
        points,
      ]);
      assert.match(doubled, /^line,host=a v=4 1000000000$/m);
      assert.match(doubled, /^line,host=a v=10 2000000000$/m);
      assert.match(doubled, /^line,host=a state="up" 3000000000$/m);
    } finally {
      host.kill('SIGTERM');
      await exited;
    }
  });
});
