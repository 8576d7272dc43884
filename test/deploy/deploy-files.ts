/**
 * Readers for the deployment files (compose, kapacitor.conf, the Dockerfile) and a model of
 * what the poller and the TICKscripts write, derived from the code and the scripts themselves.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, join, posix, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parse as parseToml } from 'smol-toml';
import { findUdfCalls, lex, type UdfCall } from '../../src/check/index.js';
import { loadRegistry, udfModuleUrls } from '../../src/host/index.js';
import { LINE_METRIC_KEYS, LINE_TEXT_KEYS } from '../../src/ingest/parsers/index.js';
import { pollPoint, statusToPoints } from '../../src/ingest/index.js';
import type { UdfDefinition } from '../../src/sdk/index.js';
import { parseDockerfile, type Stage } from './dockerfile.js';

/** The repository root, from dist/test/deploy/. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const COMPOSE_FILE = join(REPO, 'sandbox-compose.yml');
export const DOCKERFILE = join(REPO, 'docker/Dockerfile');

// ---------------------------------------------------------------------------------------------
// Compose

export interface Mount {
  kind: 'bind' | 'volume';
  /** Absolute host path for a bind mount, the volume's name otherwise. */
  source: string;
  target: string;
  readOnly: boolean;
}

export interface Service {
  name: string;
  raw: Record<string, unknown>;
  image: string | undefined;
  build: { context: string; dockerfile: string } | undefined;
  mounts: Mount[];
  command: string[] | undefined;
  environment: Record<string, string>;
  secrets: string[];
}

export interface Compose {
  services: Map<string, Service>;
  /** Secret name to absolute host file. */
  secrets: Map<string, string>;
  volumes: Set<string>;
}

/** `${NAME:-default}`, `${NAME-default}`, `${NAME}` and `$$`, as compose interpolates them. */
export function interpolate(value: string, env: Readonly<Record<string, string | undefined>>): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g,
    (whole, name: string | undefined, op: string | undefined, dflt: string | undefined) => {
      if (whole === '$$') return '$';
      const v = env[name as string];
      if (op === ':-') return v === undefined || v === '' ? (dflt ?? '') : v;
      if (op === '-') return v === undefined ? (dflt ?? '') : v;
      return v ?? '';
    },
  );
}

function interpolateDeep(value: unknown, env: Readonly<Record<string, string | undefined>>): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((v) => interpolateDeep(v, env));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateDeep(v, env)]));
  }
  return value;
}

function hostPath(p: string, baseDir: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

function readMount(entry: unknown, baseDir: string): Mount {
  if (typeof entry === 'string') {
    const [source, target, mode] = entry.split(':');
    if (source === undefined || target === undefined) throw new Error(`volume "${entry}" has no target`);
    const bind = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
    return {
      kind: bind ? 'bind' : 'volume',
      source: bind ? hostPath(source, baseDir) : source,
      target,
      readOnly: (mode ?? '').split(',').includes('ro'),
    };
  }
  const e = entry as { type?: string; source?: string; target?: string; read_only?: boolean };
  if (e.target === undefined || e.source === undefined)
    throw new Error(`volume ${JSON.stringify(entry)} needs a source and a target`);
  const bind = e.type === 'bind';
  return {
    kind: bind ? 'bind' : 'volume',
    source: bind ? hostPath(e.source, baseDir) : e.source,
    target: e.target,
    readOnly: e.read_only === true,
  };
}

function readEnvironment(raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (Array.isArray(raw)) {
    return Object.fromEntries(
      raw.map((e) => String(e)).map((e) => [e.split('=')[0] as string, e.slice(e.indexOf('=') + 1)]),
    );
  }
  return Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

export function loadCompose(file = COMPOSE_FILE, env: Readonly<Record<string, string | undefined>> = {}): Compose {
  const baseDir = resolve(file, '..');
  const doc = interpolateDeep(parseYaml(readFileSync(file, 'utf8')), env) as Record<string, unknown>;
  const services = new Map<string, Service>();
  for (const [name, rawService] of Object.entries((doc['services'] ?? {}) as Record<string, Record<string, unknown>>)) {
    const b = rawService['build'];
    let build: Service['build'];
    if (typeof b === 'string')
      build = { context: hostPath(b, baseDir), dockerfile: hostPath(join(b, 'Dockerfile'), baseDir) };
    else if (b !== undefined) {
      const bb = b as { context?: string; dockerfile?: string };
      const context = hostPath(bb.context ?? '.', baseDir);
      build = { context, dockerfile: resolve(context, bb.dockerfile ?? 'Dockerfile') };
    }
    const command = rawService['command'];
    services.set(name, {
      name,
      raw: rawService,
      image: rawService['image'] as string | undefined,
      build,
      mounts: ((rawService['volumes'] ?? []) as unknown[]).map((v) => readMount(v, baseDir)),
      command:
        command === undefined
          ? undefined
          : Array.isArray(command)
            ? command.map(String)
            : (typeof command === 'string' ? command : JSON.stringify(command)).split(/\s+/),
      environment: readEnvironment(rawService['environment']),
      secrets: ((rawService['secrets'] ?? []) as unknown[]).map((s) =>
        typeof s === 'string' ? s : String((s as { source: string }).source),
      ),
    });
  }
  const secrets = new Map<string, string>();
  for (const [name, s] of Object.entries((doc['secrets'] ?? {}) as Record<string, { file?: string }>)) {
    if (s.file !== undefined) secrets.set(name, hostPath(s.file, baseDir));
  }
  return { services, secrets, volumes: new Set(Object.keys(doc['volumes'] ?? {})) };
}

export function service(compose: Compose, name: string): Service {
  const s = compose.services.get(name);
  if (s === undefined) throw new Error(`no service "${name}" in the compose file`);
  return s;
}

/** The mount that holds a container path (the longest target that is the path or a parent of it). */
export function mountFor(svc: Service, containerPath: string): { mount: Mount; rest: string } | undefined {
  let best: { mount: Mount; rest: string } | undefined;
  for (const mount of svc.mounts) {
    const rel = posix.relative(mount.target, containerPath);
    if (rel.startsWith('..') || posix.isAbsolute(rel)) continue;
    if (best === undefined || mount.target.length > best.mount.target.length) best = { mount, rest: rel };
  }
  return best;
}

/**
 * A container path of a service as a host path: through its bind mounts, and
 * `/run/secrets/<name>` through its secrets. Undefined for paths only the image holds.
 */
export function hostPathOf(compose: Compose, svc: Service, containerPath: string): string | undefined {
  const secret = /^\/run\/secrets\/([^/]+)$/.exec(containerPath);
  if (secret !== null && svc.secrets.includes(secret[1] as string)) return compose.secrets.get(secret[1] as string);
  const found = mountFor(svc, containerPath);
  if (found === undefined || found.mount.kind !== 'bind') return undefined;
  return join(found.mount.source, found.rest);
}

/** The value of an option in an argument list (`--name value` or `--name=value`). */
export function optionValue(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name) return args[i + 1];
    if (args[i]?.startsWith(`${name}=`)) return (args[i] as string).slice(name.length + 1);
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Dockerfile and .dockerignore

export function loadDockerfile(file = DOCKERFILE): Stage[] {
  return parseDockerfile(readFileSync(file, 'utf8'));
}

/**
 * Whether a context path survives .dockerignore. Patterns are matched against the path and
 * each of its parents, the last matching pattern deciding, as Docker does; `*` and `?` do not
 * cross `/`, `**` does.
 */
export function dockerignoreKeeps(patterns: readonly string[], path: string): boolean {
  const rules = patterns
    .map((p) => p.trim())
    .filter((p) => p !== '' && !p.startsWith('#'))
    .map((p) => {
      const negate = p.startsWith('!');
      const body = posix.normalize((negate ? p.slice(1) : p).replace(/^\/+/, '')).replace(/\/+$/, '');
      const re = new RegExp(
        `^${body
          .split(/(\*\*|\*|\?)/)
          .map((t) =>
            t === '**' ? '.*' : t === '*' ? '[^/]*' : t === '?' ? '[^/]' : t.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
          )
          .join('')}$`,
      );
      return { negate, re };
    });
  const parts = posix.normalize(path).replace(/\/+$/, '').split('/');
  let excluded = false;
  for (const rule of rules) {
    for (let n = 1; n <= parts.length; n++) {
      if (rule.re.test(parts.slice(0, n).join('/'))) {
        excluded = !rule.negate;
        break;
      }
    }
  }
  return !excluded;
}

export function readDockerignore(): string[] {
  return readFileSync(join(REPO, '.dockerignore'), 'utf8').split(/\r?\n/);
}

// ---------------------------------------------------------------------------------------------
// kapacitor.conf

export function loadKapacitorConf(file = join(REPO, 'docker/kapacitor/kapacitor.conf')): Record<string, unknown> {
  return parseToml(readFileSync(file, 'utf8'));
}

const GO_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go `time.ParseDuration` string (Kapacitor's config durations) in milliseconds; throws otherwise. */
export function goDurationMs(text: string): number {
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text))
    throw new Error(`"${text}" is not a Go duration such as "10s"`);
  let ms = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g))
    ms += Number(m[1]) * (GO_UNITS[m[2] as string] as number);
  return ms;
}

// ---------------------------------------------------------------------------------------------
// What the host serves

/** Every function `kudf serve --udf-dir <dir>` loads: the built-ins and the directory's files. */
export async function servedFunctions(udfDir: string | undefined): Promise<UdfDefinition[]> {
  return [...(await loadRegistry(await udfModuleUrls(udfDir))).values()];
}

// ---------------------------------------------------------------------------------------------
// What gets written: measurements, fields, tags

export interface Measurement {
  fields: Set<string>;
  tags: Set<string>;
  /** Who writes it, for messages. */
  writers: Set<string>;
}

export type WrittenModel = Map<string, Measurement>;

function add(
  model: WrittenModel,
  name: string,
  fields: Iterable<string>,
  tags: Iterable<string>,
  writer: string,
): void {
  const m = model.get(name) ?? { fields: new Set<string>(), tags: new Set<string>(), writers: new Set<string>() };
  for (const f of fields) m.fields.add(f);
  for (const t of tags) m.tags.add(t);
  m.writers.add(writer);
  model.set(name, m);
}

/**
 * The poller's points for a status that carries every key the parsers know, run through the
 * same code the poller uses (statusToPoints, pollPoint).
 */
export function pollerMeasurements(routerTags: Readonly<Record<string, string>>): WrittenModel {
  const status: Record<string, unknown> = {};
  for (const [key, type] of Object.entries(LINE_METRIC_KEYS)) status[key] = type === 'int' ? 1 : 1.5;
  for (const key of LINE_TEXT_KEYS) status[key] = key === 'line_up' ? true : 'x';
  const ctx = { host: 'router', tags: routerTags, time: 0n };
  const points = [
    ...statusToPoints(status, ctx).points,
    pollPoint(ctx, { durationMs: 1, success: true, errorClass: 'none' }),
  ];
  const model: WrittenModel = new Map();
  for (const p of points) add(model, p.measurement, Object.keys(p.fields), Object.keys(p.tags), 'kudf poll');
  return model;
}

/** The items of a list separated by commas outside parentheses (`f(a, 1s), "b"` is two). */
export function splitTopLevel(list: string): string[] {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      items.push(list.slice(start, i));
      start = i + 1;
    }
  }
  items.push(list.slice(start));
  return items.map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Fields a `SELECT ... FROM ...` names and the measurement it reads (last segment of FROM):
 * every double-quoted name of each selected expression (`last("sum") / last("count") AS "mean"`
 * names sum and count), or its bare identifier.
 */
export function parseSelect(query: string): { fields: string[]; measurement: string } {
  const m = /^\s*SELECT\s+(.+?)\s+FROM\s+((?:"[^"]+"|[\w.]+)(?:\.(?:"[^"]+"|\w+))*)/is.exec(query);
  if (m === null) throw new Error(`cannot read the query ${query}`);
  const fields = splitTopLevel(m[1] as string).flatMap((item) => {
    const expr = item.replace(/\s+AS\s+("[^"]*"|\w+)\s*$/i, '').trim();
    const quoted = [...expr.matchAll(/"([^"]+)"/g)].map((q) => q[1] as string);
    if (quoted.length > 0) return quoted;
    return [/^(?:\w+\()?\s*(\w+)\s*\)?$/.exec(expr)?.[1] ?? expr];
  });
  const segments = (m[2] as string).match(/"[^"]+"|[^."]+/g) ?? [];
  return { fields, measurement: (segments.at(-1) as string).replace(/"/g, '') };
}

function udfOutput(
  call: UdfCall,
  input: ReadonlySet<string>,
  def: UdfDefinition | undefined,
  file: string,
): Set<string> {
  const values = (name: string): unknown[] => call.options.filter((o) => o.name === name).map((o) => o.args[0]?.value);
  const one = (name: string): unknown =>
    values(name)[0] ?? (def?.options[name] as { defaultValue?: unknown } | undefined)?.defaultValue;
  switch (call.name) {
    case 'edgeDetect':
    case 'edgeDetectBatch': {
      // Points pass unchanged, plus <previous><field> for each watched field and the duration field.
      const out = new Set(input);
      const prefix = one('previous');
      if (typeof prefix === 'string') for (const f of values('field')) out.add(`${prefix}${String(f)}`);
      const duration = one('durationField');
      if (typeof duration === 'string') out.add(duration);
      return out;
    }
    case 'movingAverage':
    case 'ewma':
    case 'integral':
    case 'integralBatch': {
      const as = one('as');
      if (typeof as !== 'string') throw new Error(`${file}: @${call.name}() has no output field name`);
      return one('keepFields') === true ? new Set([...input, as]) : new Set([as]);
    }
    case 'mirror':
    case 'outliers':
      return new Set(input);
    default:
      throw new Error(`${file}: no output model for @${call.name}(); teach test/deploy/deploy-files.ts what it writes`);
  }
}

/**
 * What the TICKscripts of a directory write with influxDBOut: each script is read as one source
 * (`|from().measurement()` or `|query('SELECT ...')`), its UDF calls in order, and its outputs.
 */
export function tickscriptMeasurements(
  dir: string,
  upstream: WrittenModel,
  defs: readonly UdfDefinition[],
): WrittenModel {
  const model: WrittenModel = new Map();
  for (const name of readdirSync(dir)
    .filter((n) => n.endsWith('.tick'))
    .sort()) {
    const file = join(dir, name);
    const script = readFileSync(file, 'utf8');
    const tokens = lex(script);
    let node = '';
    const sources: Array<{ measurement: string; fields: string[] | undefined }> = [];
    const outputs: Array<{ measurement: string | undefined; tags: string[] }> = [];
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      const next = tokens[i + 1];
      if (t === undefined || next === undefined) continue;
      if ((t.text === '|' || t.text === '@') && next.kind === 'ident') {
        node = next.text;
        if (node === 'influxDBOut') outputs.push({ measurement: undefined, tags: [] });
        if (node === 'query' && tokens[i + 3]?.kind === 'string') {
          const q = parseSelect((tokens[i + 3] as { text: string }).text);
          sources.push({ measurement: q.measurement, fields: q.fields });
        }
        continue;
      }
      if (t.text !== '.' || next.kind !== 'ident' || tokens[i + 2]?.text !== '(') continue;
      const arg = tokens[i + 3];
      if (arg?.kind !== 'string') continue;
      if (next.text === 'measurement' && node === 'from') sources.push({ measurement: arg.text, fields: undefined });
      if (next.text === 'measurement' && node === 'influxDBOut')
        (outputs.at(-1) as { measurement: string | undefined }).measurement = arg.text;
      if (next.text === 'tag' && node === 'influxDBOut') outputs.at(-1)?.tags.push(arg.text);
    }
    if (outputs.length === 0) continue;
    if (sources.length !== 1) throw new Error(`${file}: expected one source (from or query), found ${sources.length}`);
    const source = sources[0] as { measurement: string; fields: string[] | undefined };
    const up = upstream.get(source.measurement) ?? model.get(source.measurement);
    if (up === undefined) throw new Error(`${file}: reads ${source.measurement}, which nothing writes`);
    let fields = new Set(source.fields ?? up.fields);
    const calls = findUdfCalls(script, defs);
    // Calls of functions the host does not serve are left out of `calls`: none may be missing from the model.
    const udfNodes = tokens.filter((t) => t.kind === '@').length;
    if (calls.length !== udfNodes)
      throw new Error(
        `${file}: ${udfNodes} UDF calls, of which ${udfNodes - calls.length} name no function the host serves`,
      );
    for (const call of calls)
      fields = udfOutput(
        call,
        fields,
        defs.find((d) => d.name === call.name),
        file,
      );
    for (const out of outputs) {
      if (out.measurement === undefined) throw new Error(`${file}: influxDBOut() without .measurement()`);
      add(model, out.measurement, fields, [...up.tags, ...out.tags], relative(REPO, file));
    }
  }
  return model;
}
