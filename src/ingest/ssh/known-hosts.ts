import { createHmac } from 'node:crypto';
import { keyTypeOf } from './fingerprint.js';

/** One usable line of an OpenSSH known_hosts file. */
export interface KnownHostEntry {
  marker: 'revoked' | 'cert-authority' | undefined;
  /** Either comma-separated patterns or one hashed name (`|1|salt|hash`). */
  hosts: { kind: 'patterns'; patterns: string[] } | { kind: 'hashed'; salt: Buffer; hash: Buffer };
  keyType: string;
  key: Buffer;
  line: number;
}

/** Parses known_hosts text; lines it cannot read are skipped, as OpenSSH does. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((rawLine, idx) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (parts[0] === '@revoked' || parts[0] === '@cert-authority') {
      marker = parts[0] === '@revoked' ? 'revoked' : 'cert-authority';
      parts.shift();
    } else if (parts[0]?.startsWith('@') === true) return;
    const [hostField, keyType, keyB64] = parts;
    if (hostField === undefined || keyType === undefined || keyB64 === undefined) return;
    const key = Buffer.from(keyB64, 'base64');
    // A line whose blob names another type than its type column is corrupt; skip it.
    if (key.length === 0 || keyTypeOf(key) !== keyType) return;
    let hosts: KnownHostEntry['hosts'];
    if (hostField.startsWith('|1|')) {
      const [, , salt, hash] = hostField.split('|');
      if (salt === undefined || hash === undefined) return;
      hosts = { kind: 'hashed', salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
    } else {
      hosts = { kind: 'patterns', patterns: hostField.split(',').filter((p) => p !== '') };
    }
    out.push({ marker, hosts, keyType, key, line: idx + 1 });
  });
  return out;
}

/** The name known_hosts uses for a host: `host` on port 22, `[host]:port` elsewhere. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

/** Whether an entry applies to the host name; a matching negated pattern (`!host`) rules it out. */
export function entryMatches(entry: KnownHostEntry, name: string): boolean {
  if (entry.hosts.kind === 'hashed') {
    const digest = createHmac('sha1', entry.hosts.salt).update(name).digest();
    return digest.equals(entry.hosts.hash);
  }
  let matched = false;
  for (const p of entry.hosts.patterns) {
    const negated = p.startsWith('!');
    const re = globToRegExp(negated ? p.slice(1) : p);
    if (re.test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

export type KnownHostsVerdict =
  | { status: 'match' }
  | { status: 'revoked' }
  | { status: 'changed'; line: number }
  /** `certAuthorityLine`: an @cert-authority line names this host, which we cannot honour. */
  | { status: 'unknown'; certAuthorityLine?: number };

/**
 * Checks a presented host key against known_hosts entries. `changed` means the file holds a
 * different key of the same type for this host: the case that must never be accepted.
 * Certificate authorities are not supported, so their lines never match.
 */
export function checkKnownHosts(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  key: Buffer,
): KnownHostsVerdict {
  const name = knownHostsName(host, port);
  const type = keyTypeOf(key);
  let changedLine: number | undefined;
  let matched = false;
  let certAuthorityLine: number | undefined;
  for (const e of entries) {
    if (!entryMatches(e, name)) continue;
    if (e.marker === 'cert-authority') {
      certAuthorityLine ??= e.line;
      continue;
    }
    if (e.marker === 'revoked') {
      if (e.key.equals(key)) return { status: 'revoked' };
      continue;
    }
    if (e.key.equals(key)) matched = true;
    else if (e.keyType === type && changedLine === undefined) changedLine = e.line;
  }
  // A revoked line anywhere wins over a match, so the loop runs to the end before deciding.
  if (matched) return { status: 'match' };
  if (changedLine !== undefined) return { status: 'changed', line: changedLine };
  return certAuthorityLine !== undefined ? { status: 'unknown', certAuthorityLine } : { status: 'unknown' };
}
