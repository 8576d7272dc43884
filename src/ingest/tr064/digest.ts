import { createHash, randomBytes } from 'node:crypto';

/**
 * HTTP Digest client authentication (RFC 7616; RFC 2617's MD5 with qop=auth is what TR-064
 * devices ask for). Written here rather than taken from npm: the maintained client helper
 * (digest-header, also inside urllib) splits `user:password` at every colon, so a password
 * containing `:` is sent wrong, and it shares one nonce counter across every session of the
 * process; digest-fetch needs a fetch whose TLS settings cannot be set per router.
 */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  qop: string | undefined;
  opaque: string | undefined;
  algorithm: string;
  stale: boolean;
}

/** The parameters of a `WWW-Authenticate: Digest ...` header, or `undefined` for another scheme. */
export function parseDigestChallenge(header: string): DigestChallenge | undefined {
  const m = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!m?.[1]) return undefined;
  const params = new Map<string, string>();
  // name=token or name="quoted string" (backslash escapes), separated by commas.
  const re = /\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy;
  const src = m[1];
  let at = 0;
  while (at < src.length) {
    re.lastIndex = at;
    const p = re.exec(src);
    if (!p || p[0] === '') break;
    params.set((p[1] ?? '').toLowerCase(), p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? ''));
    at = re.lastIndex;
  }
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined || nonce === undefined) return undefined;
  return {
    realm,
    nonce,
    qop: params.get('qop'),
    opaque: params.get('opaque'),
    algorithm: params.get('algorithm') ?? 'MD5',
    stale: /^true$/i.test(params.get('stale') ?? ''),
  };
}

const HASHES: Readonly<Record<string, string>> = {
  md5: 'md5',
  'md5-sess': 'md5',
  'sha-256': 'sha256',
  'sha-256-sess': 'sha256',
};

/** One session's digest state: the challenge in use and its nonce count. */
export class DigestAuth {
  private challenge: DigestChallenge | undefined;
  private nc = 0;

  constructor(
    private readonly user: string,
    private readonly password: string,
    private readonly cnonce: () => string = () => randomBytes(8).toString('hex'),
  ) {}

  get hasChallenge(): boolean {
    return this.challenge !== undefined;
  }

  /** Takes a new challenge (after a 401); false when the header is not a usable digest challenge. */
  accept(header: string | undefined): boolean {
    const c = header === undefined ? undefined : parseDigestChallenge(header);
    if (c === undefined || HASHES[c.algorithm.toLowerCase()] === undefined) return false;
    this.challenge = c;
    this.nc = 0;
    return true;
  }

  forget(): void {
    this.challenge = undefined;
  }

  /** The `Authorization` header for one request, or `undefined` before any challenge. */
  header(method: string, uri: string): string | undefined {
    const c = this.challenge;
    if (c === undefined) return undefined;
    const alg = c.algorithm.toLowerCase();
    const hash = (s: string): string =>
      createHash(HASHES[alg] ?? 'md5')
        .update(s, 'utf8')
        .digest('hex');
    const qop =
      c.qop === undefined
        ? undefined
        : c.qop
            .split(',')
            .map((q) => q.trim())
            .find((q) => q === 'auth');
    this.nc += 1;
    const nc = this.nc.toString(16).padStart(8, '0');
    const cnonce = this.cnonce();
    let ha1 = hash(`${this.user}:${c.realm}:${this.password}`);
    if (alg.endsWith('-sess')) ha1 = hash(`${ha1}:${c.nonce}:${cnonce}`);
    const ha2 = hash(`${method.toUpperCase()}:${uri}`);
    const response =
      qop !== undefined ? hash(`${ha1}:${c.nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : hash(`${ha1}:${c.nonce}:${ha2}`);
    const q = (v: string): string => `"${v.replace(/(["\\])/g, '\\$1')}"`;
    const parts = [
      `username=${q(this.user)}`,
      `realm=${q(c.realm)}`,
      `nonce=${q(c.nonce)}`,
      `uri=${q(uri)}`,
      `algorithm=${c.algorithm}`,
      `response=${q(response)}`,
    ];
    if (c.opaque !== undefined) parts.push(`opaque=${q(c.opaque)}`);
    if (qop !== undefined) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${q(cnonce)}`);
    return `Digest ${parts.join(', ')}`;
  }
}
