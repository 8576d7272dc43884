import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UdfDefinitionError, validateDefinition, type UdfDefinition } from '../sdk/define-udf.js';

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
    throw new UdfDefinitionError('<udf-dir>', `cannot read --udf-dir ${dir}: ${(err as Error).message}`);
  });
  const out: string[] = [];
  for (const name of (await readdir(root)).sort()) {
    if (!LOADABLE.has(extname(name))) continue;
    const real = await realpath(join(root, name));
    if (!real.startsWith(root + sep)) {
      throw new UdfDefinitionError(name, `${join(dir, name)} resolves outside --udf-dir (${real}); refusing to load it`);
    }
    if (!(await stat(real)).isFile()) continue;
    out.push(pathToFileURL(real).href);
  }
  return out;
}

/** Imports one module and returns the definitions it exports (default export: one or a list; or `builtinUdfs`). */
export async function loadUdfModule(url: string): Promise<UdfDefinition[]> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new UdfDefinitionError(url, `cannot load module: ${(err as Error).message}`);
  }
  const exported = mod['builtinUdfs'] ?? mod['default'];
  if (exported === undefined) throw new UdfDefinitionError(url, 'module has no default export');
  const list = Array.isArray(exported) ? (exported as unknown[]) : [exported];
  for (const def of list) validateDefinition(def);
  return list as UdfDefinition[];
}

/** Loads every module and indexes the functions by name; a duplicate name is an error naming both. */
export async function loadRegistry(urls: readonly string[]): Promise<Map<string, UdfDefinition>> {
  const registry = new Map<string, UdfDefinition>();
  const origin = new Map<string, string>();
  for (const url of urls) {
    for (const def of await loadUdfModule(url)) {
      const previous = origin.get(def.name);
      if (previous !== undefined) throw new UdfDefinitionError(def.name, `defined twice (${previous} and ${url})`);
      registry.set(def.name, def);
      origin.set(def.name, url);
      if (url === BUILTIN_UDFS_MODULE) builtIn.add(def);
    }
  }
  return registry;
}

/** Module URLs for the built-ins plus an optional user directory. */
export async function udfModuleUrls(udfDir?: string): Promise<string[]> {
  return [BUILTIN_UDFS_MODULE, ...(udfDir !== undefined ? await listUdfDir(udfDir) : [])];
}
