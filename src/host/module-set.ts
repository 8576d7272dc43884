import { moduleDigests, BUILTIN_UDFS_MODULE } from './registry.js';

/**
 * The function modules a host runs, each under the URL it was imported from and with the SHA-256
 * of its file. Node keeps an imported module for the life of the process, keyed by URL: a
 * reload imports a changed file under a URL of its own (`?reload=N`), so only changed files are
 * loaded afresh, while an unchanged one resolves to the module, and the very definitions,
 * already running. Modules a function file imports itself are not reloaded (they stay cached).
 */
export class ModuleSet {
  private constructor(
    /** Loaded URL by the file's own URL. */
    private readonly loaded: ReadonlyMap<string, string>,
    /** SHA-256 by loaded URL. */
    readonly digests: Readonly<Record<string, string>>,
  ) {}

  static readonly empty = new ModuleSet(new Map(), {});

  static async of(urls: readonly string[]): Promise<ModuleSet> {
    return new ModuleSet(new Map(urls.map((u) => [u, u])), await moduleDigests(urls));
  }

  /** The URLs to import, in the order given when the set was made. */
  get urls(): string[] {
    return [...this.loaded.values()];
  }

  /**
   * The set for `urls` (the directory as it is now): a file whose bytes are unchanged keeps its
   * URL, a new or changed one gets this generation's. The built-in functions are never reloaded.
   */
  async next(urls: readonly string[], generation: number): Promise<{ set: ModuleSet; changedFiles: string[] }> {
    const now = await moduleDigests(urls);
    const loaded = new Map<string, string>();
    const digests: Record<string, string> = {};
    const changedFiles: string[] = [];
    for (const url of urls) {
      const current = this.loaded.get(url);
      const same = current !== undefined && (url === BUILTIN_UDFS_MODULE || this.digests[current] === now[url]);
      const use = same ? current : `${url}?reload=${generation}`;
      if (!same) changedFiles.push(url);
      loaded.set(url, use);
      const digest = same && current !== undefined ? this.digests[current] : now[url];
      if (digest !== undefined) digests[use] = digest;
    }
    return { set: new ModuleSet(loaded, digests), changedFiles };
  }
}
