/**
 * The sandbox (sandbox-compose.yml), the image (docker/Dockerfile) and Kapacitor's config
 * (docker/kapacitor/kapacitor.conf), checked by reading them: there is no Docker engine here.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { describe, test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/internal.js';
import { loadPollConfig } from '../../src/ingest/config/index.js';
import { builtinUdfs } from '../../udfs/index.js';
import { copyPaths, last, parseEnvArgs } from './dockerfile.js';
import {
  COMPOSE_FILE,
  REPO,
  dockerignoreKeeps,
  goDurationMs,
  hostPathOf,
  interpolate,
  loadCompose,
  loadDockerfile,
  loadKapacitorConf,
  mountFor,
  optionValue,
  readDockerignore,
  service,
  servedFunctions,
  type Compose,
  type Service,
} from './deploy-files.js';

const compose = loadCompose();
const stages = loadDockerfile();
const finalStage = stages.at(-1)!;
const conf = loadKapacitorConf();
const imageEnv = Object.assign(
  {},
  ...finalStage.instructions.filter((i) => i.keyword === 'ENV').map((i) => parseEnvArgs(i.args)),
) as Record<string, string>;

/** The services that run our image (built from docker/Dockerfile). */
function ourServices(c: Compose): Service[] {
  return [...c.services.values()].filter((s) => s.build !== undefined);
}

/** The host service: runs our image with `serve` (the image's default command). */
function hostService(c: Compose): Service {
  const found = ourServices(c).filter((s) => (s.command ?? ['serve'])[0] === 'serve');
  assert.equal(found.length, 1, 'exactly one service runs kudf serve');
  return found[0]!;
}

/** The container's socket dir: --socket-dir, else KUDF_SOCKET_DIR from compose or the image. */
function socketDirOf(svc: Service): string {
  const dir =
    optionValue(svc.command ?? [], '--socket-dir') ?? svc.environment['KUDF_SOCKET_DIR'] ?? imageEnv['KUDF_SOCKET_DIR'];
  assert.ok(dir !== undefined, `${svc.name}: no socket directory (--socket-dir or KUDF_SOCKET_DIR)`);
  return dir;
}

/**
 * Checks an argument list against the commander program: a real subcommand, only options it
 * declares, a value after each option that takes one. Returns the problems.
 */
function cliProblems(program: Command, args: readonly string[]): string[] {
  const [name, ...rest] = args;
  const cmd = program.commands.find((c) => c.name() === name);
  if (cmd === undefined)
    return [`"${name}" is not a kudf subcommand (${program.commands.map((c) => c.name()).join(', ')})`];
  const problems: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) continue;
    const flag = arg.split('=')[0]!;
    const opt = cmd.options.find((o) => o.long === flag);
    if (opt === undefined) {
      problems.push(`kudf ${name} has no option ${flag}`);
      continue;
    }
    if (opt.required && !arg.includes('=')) {
      const value = rest[i + 1];
      if (value === undefined || value.startsWith('--')) problems.push(`kudf ${name} ${flag} needs a value`);
      i++;
    }
  }
  return problems;
}

describe('compose file', () => {
  test('every bind mount, build context, Dockerfile and secret file it names exists in the repository', () => {
    const missing: string[] = [];
    for (const svc of compose.services.values()) {
      for (const m of svc.mounts)
        if (m.kind === 'bind' && !existsSync(m.source)) missing.push(`${svc.name}: ${m.source}`);
      if (svc.build !== undefined) {
        if (!existsSync(svc.build.context)) missing.push(`${svc.name}: build context ${svc.build.context}`);
        if (!existsSync(svc.build.dockerfile)) missing.push(`${svc.name}: ${svc.build.dockerfile}`);
      }
      for (const s of svc.secrets)
        if (!compose.secrets.has(s)) missing.push(`${svc.name}: secret ${s} is not declared`);
    }
    for (const [name, file] of compose.secrets) if (!existsSync(file)) missing.push(`secret ${name}: ${file}`);
    assert.deepEqual(missing, []);
    for (const svc of compose.services.values()) {
      for (const m of svc.mounts) {
        if (m.kind === 'bind')
          assert.ok(!relative(REPO, m.source).startsWith('..'), `${svc.name}: ${m.source} is outside the repository`);
        else assert.ok(compose.volumes.has(m.source), `${svc.name}: volume ${m.source} is not declared under volumes:`);
      }
    }
  });

  test('the example secret is the default and a real one replaces it through KUDF_ROUTER_PASSWORD_FILE', () => {
    assert.match(relative(REPO, compose.secrets.get('router_password') ?? ''), /\.example$/);
    const overridden = loadCompose(COMPOSE_FILE, { KUDF_ROUTER_PASSWORD_FILE: '/srv/secrets/router.txt' });
    assert.equal(overridden.secrets.get('router_password'), '/srv/secrets/router.txt');
    assert.equal(interpolate('${X:-a}$${X}', { X: '' }), 'a${X}');
  });

  test('every image is pinned to an explicit version tag, never latest', () => {
    for (const svc of compose.services.values()) {
      assert.ok(svc.image !== undefined || svc.build !== undefined, `${svc.name}: neither image nor build`);
      if (svc.image === undefined) continue;
      const m = /^([^@]+?)(?::([^:/@]+))?(?:@sha256:[0-9a-f]{64})?$/.exec(svc.image);
      const tag = m?.[2];
      assert.ok(tag !== undefined && tag !== 'latest', `${svc.name}: image ${svc.image} has no explicit tag`);
      if (svc.build === undefined)
        assert.match(tag, /^v?\d+\.\d+\.\d+/, `${svc.name}: ${svc.image} is not pinned to a patch version`);
    }
    const tagOf = (name: string): string => (service(compose, name).image ?? '').split(':')[1] ?? '';
    assert.match(tagOf('influxdb'), /^1\.8\.\d+/);
    // Lines that still get releases: Kapacitor 1.8 (1.7 gets none), Telegraf 1.x.
    assert.match(tagOf('kapacitor'), /^1\.8\.\d+/);
    assert.match(tagOf('telegraf'), /^1\.(3[6-9]|[4-9]\d)\.\d+/);
    assert.ok(service(compose, 'chronograf').image !== undefined);
  });

  test('every published port binds to loopback unless KUDF_PUBLISH_ADDR opens it on purpose', () => {
    const published = (c: Compose): Array<{ svc: string; spec: string }> =>
      [...c.services.values()].flatMap((s) =>
        ((s.raw['ports'] ?? []) as unknown[]).map((p) => ({
          svc: s.name,
          spec: typeof p === 'string' ? p : JSON.stringify(p),
        })),
      );
    const ports = published(compose);
    assert.ok(ports.length >= 4);
    // Short syntax HOST_IP:HOST_PORT:CONTAINER_PORT; without HOST_IP Docker binds every address.
    for (const p of ports) assert.match(p.spec, /^127\.0\.0\.1:\d+:\d+$/, `${p.svc}: ${p.spec}`);
    for (const p of published(loadCompose(COMPOSE_FILE, { KUDF_PUBLISH_ADDR: '0.0.0.0' })))
      assert.match(p.spec, /^0\.0\.0\.0:\d+:\d+$/, `${p.svc}: ${p.spec}`);
    const exposed = published(loadCompose(COMPOSE_FILE, { KUDF_PUBLISH_ADDR: '0.0.0.0' }))
      .map((p) => p.svc)
      .sort();
    assert.deepEqual(exposed, ports.map((p) => p.svc).sort());
  });

  test("the host brings its tasks back through Kapacitor's API, keeping their IDs in a volume", () => {
    const host = hostService(compose);
    const args = host.command ?? [];
    const url = new URL(optionValue(args, '--kapacitor-url') ?? 'x:');
    assert.ok(compose.services.has(url.hostname), `--kapacitor-url ${url.href}: no such service`);
    const bind = String((conf['http'] as { 'bind-address'?: string })['bind-address']);
    assert.equal(url.port, bind.split(':').at(-1));
    assert.equal(url.username + url.password, '', 'no credentials in the URL');
    const stateDir = optionValue(args, '--state-dir');
    assert.ok(stateDir !== undefined, '--state-dir');
    const m = mountFor(host, stateDir);
    assert.ok(
      m !== undefined && m.mount.kind === 'volume' && !m.mount.readOnly,
      `${stateDir} is not in a writable volume`,
    );
    const runs = finalStage.instructions
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join(' && ');
    assert.match(
      runs,
      new RegExp(`chown [^&]*${stateDir}`),
      `${stateDir} is owned by the image's user, so a fresh volume is writable`,
    );
  });

  test('every long-running service comes back after a crash or a Docker restart, unless stopped by hand', () => {
    for (const svc of compose.services.values())
      assert.equal(svc.raw['restart'], 'unless-stopped', `${svc.name}: restart`);
  });

  test('Kapacitor starts only once the host is healthy, and the host has a health check', () => {
    const kapacitor = service(compose, 'kapacitor');
    const host = hostService(compose);
    const dependsOn = kapacitor.raw['depends_on'] as Record<string, { condition?: string }> | string[] | undefined;
    assert.ok(
      dependsOn !== undefined && !Array.isArray(dependsOn),
      'kapacitor: depends_on must be the long form with conditions',
    );
    assert.equal(dependsOn[host.name]?.condition, 'service_healthy');
    const hc = host.raw['healthcheck'] as { test?: string[]; disable?: boolean } | undefined;
    assert.ok(hc?.disable !== true, 'the host health check is disabled');
    assert.ok(hc?.test !== undefined || last(finalStage, 'HEALTHCHECK') !== undefined, 'no health check for the host');
  });

  test('the health checks, entrypoint and commands run real kudf subcommands with options the program declares', () => {
    const program = buildProgram();
    const entry = last(finalStage, 'ENTRYPOINT')?.exec;
    assert.deepEqual(entry, ['kudf'], 'ENTRYPOINT ["kudf"] (exec form)');
    const cmd = last(finalStage, 'CMD')?.exec;
    assert.ok(cmd !== undefined, 'CMD in exec form');
    assert.equal(cmd[0], 'serve', 'the image serves by default');
    assert.deepEqual(cliProblems(program, cmd), []);

    const hc = last(finalStage, 'HEALTHCHECK')?.exec;
    assert.ok(hc !== undefined, 'HEALTHCHECK CMD in exec form');
    assert.equal(hc[0], 'kudf');
    assert.equal(hc[1], 'health');
    assert.deepEqual(cliProblems(program, hc.slice(1)), []);

    for (const svc of ourServices(compose)) {
      assert.deepEqual(cliProblems(program, svc.command ?? cmd), [], `${svc.name}: command`);
      const test = (svc.raw['healthcheck'] as { test?: string[] } | undefined)?.test;
      if (test === undefined) continue;
      assert.equal(test[0], 'CMD', `${svc.name}: healthcheck in exec form`);
      assert.equal(test[1], 'kudf');
      assert.deepEqual(cliProblems(program, test.slice(2)), [], `${svc.name}: healthcheck`);
      // health must look where serve puts the sockets.
      assert.equal(
        optionValue(test, '--socket-dir') ?? imageEnv['KUDF_SOCKET_DIR'],
        socketDirOf(svc),
        `${svc.name}: healthcheck socket dir`,
      );
    }
    assert.ok(
      cliProblems(program, ['serve', '--no-such-flag']).length > 0,
      'the checker itself rejects an unknown option',
    );
    assert.ok(cliProblems(program, ['serves']).length > 0, 'the checker itself rejects an unknown subcommand');
  });

  test('the poller runs kudf poll with a config file that is mounted, and no socket health check', () => {
    const pollers = ourServices(compose).filter((s) => s.command?.[0] === 'poll');
    assert.equal(pollers.length, 1);
    const poller = pollers[0]!;
    const config = optionValue(poller.command ?? [], '--config');
    assert.ok(config !== undefined);
    assert.ok(hostPathOf(compose, poller, config) !== undefined, `${config} is not mounted into ${poller.name}`);
    assert.equal(
      (poller.raw['healthcheck'] as { disable?: boolean } | undefined)?.disable,
      true,
      'the image health check probes sockets the poller never opens',
    );
  });

  test("the poller's sample config validates with the real config loader, its password read from the compose secret", () => {
    const poller = ourServices(compose).find((s) => s.command?.[0] === 'poll')!;
    const containerConfig = optionValue(poller.command ?? [], '--config')!;
    const env = { ...poller.environment };
    const read = (containerPath: string): string => {
      const host = hostPathOf(compose, poller, containerPath);
      if (host === undefined) throw Object.assign(new Error(`${containerPath} is not mounted`), { code: 'ENOENT' });
      return readFileSync(host, 'utf8');
    };
    const config = loadPollConfig(containerConfig, { env, readFile: read, homeDir: '/home/node' });
    assert.ok(config.routers.length >= 1);
    const secretFile = compose.secrets.get(poller.secrets[0]!)!;
    assert.equal(config.routers[0]!.auth.password, readFileSync(secretFile, 'utf8').replace(/\r?\n$/, ''));
    for (const r of config.routers) {
      if (r.hostKey.kind === 'knownHosts')
        assert.ok(hostPathOf(compose, poller, r.hostKey.file) !== undefined, `${r.hostKey.file} is not mounted`);
    }
    // The queue must survive a container restart: it lives in a volume.
    assert.ok(
      config.queueDir !== undefined && mountFor(poller, config.queueDir) !== undefined,
      `queueDir ${config.queueDir} is not in a volume`,
    );
    assert.equal(config.influx?.['url'], 'http://influxdb:8086');
    assert.ok(compose.services.has('influxdb'));
  });
});

describe('Dockerfile', () => {
  test('both stages start from the same pinned Node 26 LTS image', () => {
    assert.ok(stages.length >= 2, 'multi-stage');
    // 26.13.0 is the first LTS release of the 26 line (before it, 26.x was "Current").
    for (const s of stages) {
      const m = /^node:26\.(\d+)\.\d+-[a-z]+(-slim)?(@sha256:[0-9a-f]{64})?$/.exec(s.base);
      assert.ok(m !== null, `FROM ${s.base}`);
      assert.ok(Number(m[1]) >= 13, `FROM ${s.base}: not yet an LTS release`);
    }
    assert.equal(new Set(stages.map((s) => s.base)).size, 1, 'build and runtime use one Node version');
  });

  test('the final image runs as a non-root user and keeps only production dependencies', () => {
    const user = last(finalStage, 'USER')?.args;
    assert.ok(user !== undefined, 'USER is set');
    assert.ok(!['root', '0'].includes(user.split(':')[0]!), `USER ${user}`);
    for (const svc of ourServices(compose))
      assert.ok(
        !['root', '0'].includes(
          (typeof svc.raw['user'] === 'string' || typeof svc.raw['user'] === 'number'
            ? String(svc.raw['user'])
            : 'node'
          ).split(':')[0]!,
        ),
        `${svc.name} runs as root`,
      );
    const buildRuns = stages[0]!.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    const finalRuns = finalStage.instructions
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join('\n');
    const pruned = buildRuns.some((r) => /npm prune\b.*--omit=dev/.test(r)) || /npm ci\b.*--omit=dev/.test(finalRuns);
    assert.ok(pruned, 'dev dependencies are pruned (npm prune --omit=dev) or never installed (npm ci --omit=dev)');
    const copiesNodeModules = finalStage.instructions.some(
      (i) => i.keyword === 'COPY' && copyPaths(i).sources.some((s) => /node_modules/.test(s)),
    );
    if (copiesNodeModules)
      assert.ok(buildRuns.findIndex((r) => /npm prune/.test(r)) >= 0, 'node_modules copied before pruning');
  });

  test('the socket directory is a volume the non-root user owns and KUDF_SOCKET_DIR points at it', () => {
    const dir = imageEnv['KUDF_SOCKET_DIR'];
    assert.equal(dir, '/var/run/kudf');
    const volumes = finalStage.instructions
      .filter((i) => i.keyword === 'VOLUME')
      .flatMap((i) => i.exec ?? i.args.split(/\s+/));
    assert.ok(volumes.includes(dir), `VOLUME ${dir}`);
    const runs = finalStage.instructions
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join(' && ');
    const user = last(finalStage, 'USER')!.args.split(':')[0]!;
    assert.match(
      runs,
      new RegExp(`mkdir -p [^&]*${dir}`),
      'the directory exists in the image, so a fresh volume copies its owner',
    );
    assert.match(runs, new RegExp(`chown ${user}(:${user})? [^&]*${dir}`), `owned by ${user}`);
  });

  test("functions mounted outside /app resolve 'kapacitor-udf-host/sdk' through a /node_modules link to the app", () => {
    const runs = finalStage.instructions
      .filter((i) => i.keyword === 'RUN')
      .map((i) => i.args)
      .join(' && ');
    const workdir = last(finalStage, 'WORKDIR')!.args;
    assert.match(runs, new RegExp(`ln -s ${workdir} /node_modules/kapacitor-udf-host`));
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      name: string;
      exports: Record<string, unknown>;
    };
    assert.equal(pkg.name, 'kapacitor-udf-host');
    const sdk = pkg.exports['./sdk'];
    assert.ok(sdk !== undefined);
    const copied = finalStage.instructions.filter((i) => i.keyword === 'COPY').flatMap((i) => copyPaths(i).sources);
    assert.ok(
      copied.some((s) => /package\.json$/.test(s)),
      'package.json (with its exports) is in the image',
    );
    assert.ok(
      copied.some((s) => s.replace(/\/$/, '').endsWith('/dist')),
      'dist/ is in the image',
    );
    assert.match(
      runs,
      /ln -s \S*dist\/src\/cli\/main\.js \/usr\/local\/bin\/kudf/,
      'kudf is on PATH for ENTRYPOINT and HEALTHCHECK',
    );
  });

  test('.dockerignore keeps every path the build copies and leaves out local builds, git and secrets', () => {
    const patterns = readDockerignore();
    for (const inst of stages[0]!.instructions.filter((i) => i.keyword === 'COPY' && i.flags['from'] === undefined)) {
      for (const src of copyPaths(inst).sources) {
        assert.ok(existsSync(join(REPO, src)), `COPY ${src}: missing`);
        const probe = statSync(join(REPO, src)).isDirectory()
          ? posix.join(src, readdirSync(join(REPO, src))[0] ?? 'x')
          : src;
        assert.ok(
          dockerignoreKeeps(patterns, src) && dockerignoreKeeps(patterns, probe),
          `COPY ${src}: excluded by .dockerignore`,
        );
      }
    }
    for (const p of [
      'node_modules/yaml/package.json',
      'dist/src/cli/main.js',
      '.git/HEAD',
      'docker/secrets/router_password.txt',
      'test/deploy/compose.test.ts',
      '.env',
    ]) {
      assert.ok(!dockerignoreKeeps(patterns, p), `${p} reaches the build context`);
    }
    assert.ok(
      !dockerignoreKeeps(['*', '!src/'], 'docs/x.md') && dockerignoreKeeps(['*', '!src/'], 'src/a/b.ts'),
      'the matcher itself',
    );
  });
});

describe('kapacitor.conf', () => {
  const udf = (conf['udf'] as { functions?: Record<string, Record<string, unknown>> } | undefined)?.functions ?? {};

  test('every function the host serves has a [udf.functions] block whose socket is in the shared volume as Kapacitor mounts it', async () => {
    const host = hostService(compose);
    const kapacitor = service(compose, 'kapacitor');
    const udfDirInContainer = optionValue(host.command ?? [], '--udf-dir');
    const udfDir = udfDirInContainer === undefined ? undefined : hostPathOf(compose, host, udfDirInContainer);
    assert.ok(udfDirInContainer === undefined || udfDir !== undefined, `--udf-dir ${udfDirInContainer} is not mounted`);
    const served = await servedFunctions(udfDir);
    assert.ok(served.length >= builtinUdfs.length);
    for (const b of builtinUdfs)
      assert.ok(
        served.some((d) => d.name === b.name),
        `built-in ${b.name} is served`,
      );

    const socketDir = socketDirOf(host);
    const hostMount = mountFor(host, socketDir);
    assert.ok(
      hostMount !== undefined && hostMount.mount.kind === 'volume',
      `${socketDir} is not in a named volume on ${host.name}`,
    );
    const kapMount = kapacitor.mounts.find((m) => m.kind === 'volume' && m.source === hostMount.mount.source);
    assert.ok(kapMount !== undefined, `kapacitor does not mount volume ${hostMount.mount.source}`);
    assert.ok(!kapMount.readOnly, 'connecting to a socket needs write permission on it');
    const seenFromKapacitor = posix.join(kapMount.target, hostMount.rest);

    assert.deepEqual(
      Object.keys(udf).sort(),
      served.map((d) => d.name).sort(),
      'one block per served function, and none for a function nobody serves',
    );
    for (const def of served) {
      assert.equal(udf[def.name]?.['socket'], posix.join(seenFromKapacitor, `${def.name}.sock`), def.name);
    }
  });

  test('every UDF block has a valid timeout above 1ms and exactly one of socket and prog', () => {
    assert.ok(Object.keys(udf).length > 0);
    for (const [name, block] of Object.entries(udf)) {
      const timeout = block['timeout'];
      assert.equal(typeof timeout, 'string', `${name}: timeout`);
      assert.ok(goDurationMs(timeout as string) > 1, `${name}: timeout ${String(timeout)}`);
      assert.ok('socket' in block !== 'prog' in block, `${name}: give socket or prog, not both`);
    }
    assert.throws(() => goDurationMs('10'), /Go duration/);
    assert.equal(goDurationMs('1m30s'), 90_000);
  });

  test('InfluxDB, HTTP, storage and the data directories point at the sandbox services and volumes', () => {
    const kapacitor = service(compose, 'kapacitor');
    assert.equal(conf['hostname'], 'kapacitor', 'the name InfluxDB sends subscription writes to');
    assert.equal(kapacitor.raw['hostname'], 'kapacitor');
    assert.equal(
      kapacitor.environment['KAPACITOR_HOSTNAME'],
      'kapacitor',
      "the image's entrypoint overrides hostname with $KAPACITOR_HOSTNAME",
    );
    const influx = conf['influxdb'] as Array<{ enabled?: boolean; urls?: string[] }>;
    assert.ok(Array.isArray(influx) && influx.length >= 1);
    for (const url of influx[0]!.urls ?? [])
      assert.ok(compose.services.has(new URL(url).hostname), `${url}: no such service`);
    assert.equal(influx[0]!.enabled, true);
    assert.match(String((conf['http'] as { 'bind-address'?: string })['bind-address']), /:9092$/);
    const dataDir = conf['data_dir'] as string;
    const persisted = mountFor(kapacitor, dataDir);
    assert.ok(persisted !== undefined && persisted.mount.kind === 'volume', `data_dir ${dataDir} is not in a volume`);
    for (const p of [(conf['storage'] as { boltdb: string }).boltdb, (conf['replay'] as { dir: string }).dir]) {
      assert.ok(!posix.relative(dataDir, p).startsWith('..'), `${p} is outside data_dir`);
    }
    const mountedConf = kapacitor.mounts.find((m) => m.target === '/etc/kapacitor/kapacitor.conf');
    assert.equal(mountedConf?.source, join(REPO, 'docker/kapacitor/kapacitor.conf'));
  });

  test('the load directory holds the mounted TICKscripts under tasks/ and every one passes kudf check', () => {
    const load = conf['load'] as { enabled?: boolean; dir?: string };
    assert.equal(load.enabled, true);
    assert.ok(load.dir !== undefined);
    const kapacitor = service(compose, 'kapacitor');
    const tasksDir = hostPathOf(compose, kapacitor, posix.join(load.dir, 'tasks'));
    assert.ok(tasksDir !== undefined, `${load.dir}/tasks is not mounted`);
    assert.equal(tasksDir, join(REPO, 'tickscripts'));
    const ticks = readdirSync(tasksDir)
      .filter((n) => n.endsWith('.tick'))
      .map((n) => join(tasksDir, n));
    assert.ok(ticks.length > 0);
    const res = spawnSync(process.execPath, [join(REPO, 'dist/src/cli/main.js'), 'check', ...ticks], {
      encoding: 'utf8',
    });
    assert.equal(res.status, 0, `kudf check:\n${res.stdout}${res.stderr}`);
    for (const t of ticks)
      assert.match(readFileSync(t, 'utf8'), /^dbrp\s+"[^"]+"\."[^"]+"/m, `${t}: a loaded task needs a dbrp statement`);
  });

  test('the TICKscripts read and write the database the poller writes', () => {
    const poll = readFileSync(join(REPO, 'docker/poller/poll.yaml'), 'utf8');
    const db = /^\s+db:\s*(\S+)/m.exec(poll)?.[1];
    assert.ok(db !== undefined);
    const influxdb = service(compose, 'influxdb');
    assert.equal(influxdb.environment['INFLUXDB_DB'], db, 'the database exists before Kapacitor subscribes');
    for (const name of readdirSync(join(REPO, 'tickscripts')).filter((n) => n.endsWith('.tick'))) {
      const text = readFileSync(join(REPO, 'tickscripts', name), 'utf8');
      assert.match(text, new RegExp(`^dbrp\\s+"${db}"\\.`, 'm'), name);
      for (const m of text.matchAll(/\.database\('([^']+)'\)/g))
        assert.equal(m[1], db, `${name}: influxDBOut database`);
    }
  });
});
