/**
 * The cookies of one router's web session. A router is one host and one session, so names are
 * kept without domain or path scoping; a cookie the device deletes (`Max-Age=0` or an `Expires`
 * in the past) is dropped. Written here rather than taken from npm: tough-cookie's public
 * suffix and domain rules add nothing for a single device reached by its address.
 */
export class SessionCookies {
  private readonly jar = new Map<string, string>();

  get size(): number {
    return this.jar.size;
  }

  /** Takes the `Set-Cookie` headers of a reply. */
  take(setCookie: readonly string[] | undefined, now: number = Date.now()): void {
    for (const header of setCookie ?? []) {
      const [pair = '', ...attrs] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const deleted = attrs.some((a) => {
        const [k = '', v = ''] = a.split('=').map((x) => x.trim());
        if (/^max-age$/i.test(k)) return Number(v) <= 0;
        if (/^expires$/i.test(k)) {
          const t = Date.parse(v);
          return Number.isFinite(t) && t <= now;
        }
        return false;
      });
      if (deleted) this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  /** The `Cookie` request header, or `undefined` when there is none. */
  header(): string | undefined {
    if (this.jar.size === 0) return undefined;
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  clear(): void {
    this.jar.clear();
  }
}
