/**
 * Replays docker/Dockerfile without a Docker engine: the build context is the working tree
 * filtered by .dockerignore; the build stage's COPY and RUN lines run as written (npm ci,
 * the TypeScript build, npm prune) in a temporary root; the final stage's COPY --from lines and
 * its file-system RUN commands (mkdir, ln -s, chmod) are applied under a second root; then the
 * image's ENTRYPOINT starts `kudf serve` from that root and its HEALTHCHECK command must pass.
 */
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { after, describe, test } from 'node:test';
import { copyPaths, last, parseEnvArgs, type Stage } from './dockerfile.js';
import {
  REPO,
  dockerignoreKeeps,
  loadCompose,
  loadDockerfile,
  optionValue,
  readDockerignore,
  service,
} from './deploy-files.js';

const stages = loadDockerfile();
const work = mkdtempSync(join(tmpdir(), 'kudf-image-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** The files `docker build .` would send: tracked and untracked-but-not-ignored, minus .dockerignore. */
function buildContext(): string {
  const ctx = join(work, 'context');
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO,
    encoding: 'utf8',
  });
  assert.equal(listed.status, 0, listed.stderr);
  const patterns = readDockerignore();
  for (const file of listed.stdout.split('\0').filter((f) => f !== '')) {
    if (!dockerignoreKeeps(patterns, file) || !existsSync(join(REPO, file))) continue;
    mkdirSync(dirname(join(ctx, file)), { recursive: true });
    cpSync(join(REPO, file), join(ctx, file));
  }
  return ctx;
}

/** COPY semantics: a directory source copies its contents; a destination ending in / (or several sources) is a directory. */
function copy(from: string, sources: string[], dest: string): void {
  const destIsDir = dest.endsWith('/') || sources.length > 1;
  for (const src of sources) {
    const s = join(from, src);
    assert.ok(existsSync(s), `COPY source ${src} is not there`);
    if (statSync(s).isDirectory()) {
      mkdirSync(dest, { recursive: true });
      cpSync(s, dest, { recursive: true, verbatimSymlinks: true });
    } else {
      const target = destIsDir ? join(dest, posix.basename(src)) : dest;
      mkdirSync(dirname(target), { recursive: true });
      cpSync(s, target);
    }
  }
}

function envOf(stage: Stage): Record<string, string> {
  return Object.assign(
    {},
    ...stage.instructions.filter((i) => i.keyword === 'ENV').map((i) => parseEnvArgs(i.args)),
  ) as Record<string, string>;
}

/** Runs the build stage under `root`; returns the stage's WORKDIR there. */
function runBuildStage(stage: Stage, ctx: string, root: string): void {
  let cwd = root;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // Same commands as the Dockerfile; the local cache only saves downloads.
    npm_config_prefer_offline: 'true',
    npm_config_update_notifier: 'false',
  };
  for (const inst of stage.instructions) {
    if (inst.keyword === 'WORKDIR') {
      cwd = join(root, inst.args);
      mkdirSync(cwd, { recursive: true });
    } else if (inst.keyword === 'ENV') Object.assign(env, parseEnvArgs(inst.args));
    else if (inst.keyword === 'COPY') {
      assert.equal(inst.flags['from'], undefined, 'the build stage copies from the context only');
      const { sources, dest } = copyPaths(inst);
      copy(ctx, sources, posix.isAbsolute(dest) ? join(root, dest) : join(cwd, dest) + (dest.endsWith('/') ? '/' : ''));
    } else if (inst.keyword === 'RUN') {
      const res = spawnSync('/bin/sh', ['-c', inst.exec?.join(' ') ?? inst.args], {
        cwd,
        env,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      assert.equal(
        res.status,
        0,
        `RUN ${inst.args} (Dockerfile line ${inst.line}) failed:\n${res.stdout}\n${res.stderr}`,
      );
    } else assert.fail(`the replay does not know ${inst.keyword} (Dockerfile line ${inst.line})`);
  }
}

/** The final stage's RUN lines are file-system set-up; each command is applied under `root`. */
function applyFinalRun(args: string, root: string, cwd: string): void {
  const at = (p: string): string => (posix.isAbsolute(p) ? join(root, p) : join(cwd, p));
  for (const command of args.split('&&').map((c) => c.trim().split(/\s+/))) {
    const [cmd, ...rest] = command;
    if (cmd === 'mkdir') rest.filter((a) => !a.startsWith('-')).forEach((d) => mkdirSync(at(d), { recursive: true }));
    else if (cmd === 'ln') {
      const [target, link] = rest.filter((a) => !a.startsWith('-'));
      assert.ok(target !== undefined && link !== undefined && rest.includes('-s'), `ln ${rest.join(' ')}`);
      mkdirSync(dirname(at(link)), { recursive: true });
      symlinkSync(posix.isAbsolute(target) ? join(root, target) : target, at(link));
    } else if (cmd === 'chmod') {
      const [mode, ...paths] = rest;
      for (const p of paths) chmodSync(at(p), parseInt(mode as string, 8));
    } else if (cmd === 'chown') {
      // Needs root here; the owner is checked by compose.test.ts.
    } else assert.fail(`the replay does not know the command "${command.join(' ')}" in the final stage`);
  }
}

describe('the image build, replayed', () => {
  test(
    'the build stage installs, compiles and prunes, and the final stage serves every function and passes its own health check',
    { timeout: 600_000 },
    async () => {
      const [build, final] = [stages[0]!, stages.at(-1)!];
      const ctx = buildContext();
      const buildRoot = join(work, 'build-root');
      runBuildStage(build, ctx, buildRoot);

      const finalRoot = join(work, 'final-root');
      const workdir = last(final, 'WORKDIR')?.args ?? '/';
      const appDir = join(finalRoot, workdir);
      mkdirSync(appDir, { recursive: true });
      for (const inst of final.instructions) {
        if (inst.keyword === 'COPY') {
          assert.equal(inst.flags['from'], build.name, `COPY at line ${inst.line} copies from the build stage`);
          const { sources, dest } = copyPaths(inst);
          copy(
            buildRoot,
            sources,
            (posix.isAbsolute(dest) ? join(finalRoot, dest) : join(appDir, dest)) + (dest.endsWith('/') ? '/' : ''),
          );
        } else if (inst.keyword === 'RUN') applyFinalRun(inst.args, finalRoot, appDir);
      }

      const modules = readdirSync(join(appDir, 'node_modules'));
      for (const dev of ['typescript', 'fast-check', 'smol-toml'])
        assert.ok(!modules.includes(dev), `dev dependency ${dev} is in the image`);
      assert.ok(!existsSync(join(appDir, 'node_modules/@types/ssh2')), 'dev dependency @types/ssh2 is in the image');
      for (const dep of ['commander', 'pino', 'protobufjs', 'ssh2', 'yaml'])
        assert.ok(modules.includes(dep), `dependency ${dep} is missing`);
      assert.deepEqual(
        readdirSync(join(appDir, 'dist')).sort(),
        ['src', 'udfs'],
        'the image holds the compiled src/ and udfs/ only',
      );

      // The sandbox's own function directory, where compose mounts it, to exercise the SDK link.
      const compose = loadCompose();
      const host = service(compose, 'kudf');
      const udfDir = optionValue(host.command ?? [], '--udf-dir');
      assert.ok(udfDir !== undefined);
      const udfMount = host.mounts.find((m) => m.target === udfDir)!;
      cpSync(udfMount.source, join(finalRoot, udfDir), { recursive: true });

      const imageEnv = envOf(final);
      const socketDir = join(finalRoot, imageEnv['KUDF_SOCKET_DIR'] ?? '/var/run/kudf');
      const env = {
        ...process.env,
        ...imageEnv,
        KUDF_SOCKET_DIR: socketDir,
        PATH: `${join(finalRoot, 'usr/local/bin')}:${process.env['PATH'] ?? ''}`,
      };
      const entrypoint = last(final, 'ENTRYPOINT')!.exec!;
      // The compose command with the container paths rooted in the replay.
      const args = (host.command ?? last(final, 'CMD')!.exec!).map((a) =>
        posix.isAbsolute(a) ? join(finalRoot, a) : a,
      );
      const child = spawn(entrypoint[0]!, [...entrypoint.slice(1), ...args], {
        cwd: appDir,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
      child.stderr.setEncoding('utf8').on('data', (t: string) => (out += t));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        const ready = await Promise.race([
          new Promise<boolean>((resolve) => {
            const poll = setInterval(() => {
              if (out.split('\n').some((l) => l.includes('"msg":"host ready"'))) {
                clearInterval(poll);
                resolve(true);
              }
            }, 50);
            void exited.then(() => clearInterval(poll));
          }),
          exited.then(() => false),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 30_000).unref()),
        ]);
        assert.ok(ready, `kudf serve did not log 'host ready':\n${out}`);

        const healthcheck = last(final, 'HEALTHCHECK')!.exec!;
        const health = spawnSync(healthcheck[0]!, healthcheck.slice(1), { env, encoding: 'utf8' });
        assert.equal(health.status, 0, `${healthcheck.join(' ')}:\n${health.stdout}${health.stderr}`);
        const sockets = readdirSync(socketDir)
          .filter((n) => n.endsWith('.sock'))
          .sort();
        assert.ok(sockets.includes('scale.sock'), `the mounted function is served (${sockets.join(', ')})`);
        assert.ok(sockets.includes('edgeDetect.sock'));
        assert.equal(health.stdout, '', '--quiet');
        const verbose = spawnSync('kudf', ['health'], { env, encoding: 'utf8' });
        assert.equal(
          verbose.stdout
            .trim()
            .split('\n')
            .filter((l) => l.startsWith('ok ')).length,
          sockets.length,
          verbose.stdout,
        );
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    },
  );
});
