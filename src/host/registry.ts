import { createHash } from 'node:crypto';
import { readFile, readdir, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { UdfDefinition } from '../sdk/index.js';
import { UdfDefinitionError, validateDefinition } from '../sdk/internal.js';

/** The module holding the built-in functions, next to this file once compiled (dist/udfs/index.js). */
export const BUILTIN_UDFS_MODULE = new URL('../../udfs/index.js', import.meta.url).href;

const LOADABLE = new Set(['.js', '.mjs']);

// The functions of this package. Their tests feed them frozen points, so they are known never to
// write to an input point, and their sessions skip freezing each one (150-250 ns a point).
const builtIn = new WeakSet<UdfDefinition>();

/** Whether `def` is one of this package's functions, as loaded by {@link loadRegistry}. */
export function isBuiltIn(def: UdfDefinition): boolean {
  return builtIn.has(def);
}

/**
 * Lists the module URLs of a user's function directory: every `.js`/`.mjs` file directly in
 * it. Files whose real path leaves the directory (symlinks pointing elsewhere) are refused, so
 * `--udf-dir` loads code only from the directory given.
 */
export async function listUdfDir(dir: string): Promise<string[]> {
  const root = await realpath(dir).catch((err: unknown) => {
    throw new UdfLoadError('KUDF_UDF_DIR', dir, `cannot read --udf-dir: ${(err as Error).message}`);
  });
  const out: string[] = [];
  for (const name of (await readdir(root)).sort()) {
    if (!LOADABLE.has(extname(name))) continue;
    const real = await realpath(join(root, name));
    if (!real.startsWith(root + sep)) {
      throw new UdfLoadError(
        'KUDF_UDF_DIR',
        join(dir, name),
        `resolves outside --udf-dir (${real}); refusing to load it`,
      );
    }
    if (!(await stat(real)).isFile()) continue;
    out.push(pathToFileURL(real).href);
  }
  return out;
}

/** Why a function module could not be loaded, naming its file. */
export class UdfLoadError extends Error {
  override readonly name = 'UdfLoadError';
  constructor(
    readonly code:
      | 'KUDF_UDF_DIR'
      | 'KUDF_UDF_LOAD_FAILED'
      | 'KUDF_UDF_LOAD_TIMEOUT'
      | 'KUDF_UDF_EXIT_AT_LOAD'
      | 'KUDF_UDF_BAD_EXPORT'
      | 'KUDF_UDF_CHANGED',
    readonly file: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${message}`, options);
  }
}

/** How long one module may take to load (its top-level code and awaits) by default. */
export const DEFAULT_LOAD_TIMEOUT_MS = 10_000;

function fileOf(url: string): string {
  return url.startsWith('file:') ? fileURLToPath(url) : url;
}

class ExitAtLoad extends Error {
  constructor(readonly exitCode: unknown) {
    super(
      `process.exit(${typeof exitCode === 'number' || typeof exitCode === 'string' ? exitCode : ''}) called while loading`,
    );
  }
}

/**
 * Imports `url` with process.exit disabled and a deadline: a module that exits while loading
 * would end the host (or its worker) with nothing said, and one whose top-level await never
 * settles would let the process end with exit code 13 and no output.
 */
async function importGuarded(url: string, timeoutMs: number): Promise<Record<string, unknown>> {
  const file = fileOf(url);
  const realExit = Object.getOwnPropertyDescriptor(process, 'exit');
  const refuseExit = (code?: unknown): never => {
    throw new ExitAtLoad(code);
  };
  process.exit = refuseExit;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new UdfLoadError(
            'KUDF_UDF_LOAD_TIMEOUT',
            file,
            `module did not finish loading within ${timeoutMs} ms (a top-level await that never settles?)`,
          ),
        ),
      timeoutMs,
    );
  });
  try {
    return (await Promise.race([import(url), deadline])) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof UdfLoadError) throw err;
    if (err instanceof ExitAtLoad)
      throw new UdfLoadError(
        'KUDF_UDF_EXIT_AT_LOAD',
        file,
        `${err.message}; a function module must not exit the process`,
      );
    throw new UdfLoadError(
      'KUDF_UDF_LOAD_FAILED',
      file,
      `cannot load module: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  } finally {
    clearTimeout(timer);
    if (realExit !== undefined) Object.defineProperty(process, 'exit', realExit);
    else delete (process as { exit?: unknown }).exit;
  }
}

/** Imports one module and returns the definitions it exports (default export: one or a list; or `builtinUdfs`). */
export async function loadUdfModule(url: string, timeoutMs = DEFAULT_LOAD_TIMEOUT_MS): Promise<UdfDefinition[]> {
  const mod = await importGuarded(url, timeoutMs);
  const file = fileOf(url);
  const exported = mod['builtinUdfs'] ?? mod['default'];
  if (exported === undefined)
    throw new UdfLoadError(
      'KUDF_UDF_BAD_EXPORT',
      file,
      'module has no default export (export default defineUdf({...}))',
    );
  const list = Array.isArray(exported) ? (exported as unknown[]) : [exported];
  for (const def of list) {
    try {
      validateDefinition(def);
    } catch (err) {
      throw new UdfLoadError('KUDF_UDF_BAD_EXPORT', file, (err as Error).message, { cause: err });
    }
  }
  return list as UdfDefinition[];
}

/** Loads every module and indexes the functions by name; a duplicate name is an error naming both. */
export async function loadRegistry(
  urls: readonly string[],
  timeoutMs = DEFAULT_LOAD_TIMEOUT_MS,
): Promise<Map<string, UdfDefinition>> {
  const registry = new Map<string, UdfDefinition>();
  const origin = new Map<string, string>();
  for (const url of urls) {
    for (const def of await loadUdfModule(url, timeoutMs)) {
      const previous = origin.get(def.name);
      if (previous !== undefined) throw new UdfDefinitionError(def.name, `defined twice (${previous} and ${url})`);
      registry.set(def.name, def);
      origin.set(def.name, url);
      if (url === BUILTIN_UDFS_MODULE) builtIn.add(def);
    }
  }
  return registry;
}

/** SHA-256 of each file module's bytes, by URL: what a replacement worker checks before loading. */
export async function moduleDigests(urls: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const url of urls) {
    if (!url.startsWith('file:')) continue;
    out[url] = createHash('sha256')
      .update(await readFile(fileURLToPath(url)))
      .digest('hex');
  }
  return out;
}

/**
 * Refuses to load a module whose file is no longer what the host started with: a worker started
 * later (a replacement) must run the same functions as the others and as Kapacitor was told at
 * its start-up, not whatever the file holds now, and a deleted file cannot be loaded at all.
 */
export async function verifyDigests(digests: Readonly<Record<string, string>>): Promise<void> {
  for (const [url, expected] of Object.entries(digests)) {
    const file = fileURLToPath(url);
    let now: string;
    try {
      now = createHash('sha256')
        .update(await readFile(file))
        .digest('hex');
    } catch (err) {
      throw new UdfLoadError(
        'KUDF_UDF_CHANGED',
        file,
        `cannot be read any more (${(err as Error).message}); \`kudf reload\` (SIGHUP) loads the functions as they are now`,
        { cause: err },
      );
    }
    if (now !== expected)
      throw new UdfLoadError(
        'KUDF_UDF_CHANGED',
        file,
        'changed since it was loaded; `kudf reload` (SIGHUP) loads the new version',
      );
  }
}

/** Module URLs for the built-ins plus an optional user directory. */
export async function udfModuleUrls(udfDir?: string): Promise<string[]> {
  return [BUILTIN_UDFS_MODULE, ...(udfDir !== undefined ? await listUdfDir(udfDir) : [])];
}
