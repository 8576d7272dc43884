import type { HostKeyPolicy } from '../config/index.js';
import { sha256Fingerprint } from './fingerprint.js';
import { checkKnownHosts, knownHostsName, parseKnownHosts } from './known-hosts.js';

export type HostKeyDecision =
  { ok: true; fingerprint: string; acceptedAny: boolean } | { ok: false; fingerprint: string; message: string };

export interface HostKeyTarget {
  router: string;
  address: string;
  port: number;
}

/**
 * Decides whether a presented host key belongs to the router. known_hosts is re-read at each
 * new connection, so an operator who fixes the file does not need to restart the poller.
 */
export function verifyHostKey(
  policy: HostKeyPolicy,
  target: HostKeyTarget,
  key: Buffer,
  readFile: (path: string) => string,
): HostKeyDecision {
  const fingerprint = sha256Fingerprint(key);
  const refuse = (why: string): HostKeyDecision => ({
    ok: false,
    fingerprint,
    message: `host key ${fingerprint} of router ${target.router} (${knownHostsName(target.address, target.port)}) refused: ${why}`,
  });
  switch (policy.kind) {
    case 'acceptAny':
      return { ok: true, fingerprint, acceptedAny: true };
    case 'fingerprint':
      return policy.fingerprints.includes(fingerprint)
        ? { ok: true, fingerprint, acceptedAny: false }
        : refuse(`it does not match the pinned fingerprint ${policy.fingerprints.join(' or ')}`);
    case 'knownHosts': {
      let text: string;
      try {
        text = readFile(policy.file);
      } catch (err) {
        return refuse(
          `known_hosts file ${policy.file} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        );
      }
      const verdict = checkKnownHosts(parseKnownHosts(text), target.address, target.port, key);
      switch (verdict.status) {
        case 'match':
          return { ok: true, fingerprint, acceptedAny: false };
        case 'revoked':
          return refuse(`the key is marked @revoked in ${policy.file}`);
        case 'changed':
          return refuse(`HOST KEY CHANGED: ${policy.file} line ${verdict.line} holds a different key for this host`);
        case 'unknown':
          // ssh2 has no host certificates, so a CA line cannot vouch for the router: say so
          // rather than let the operator hunt for a missing entry that looks present.
          return verdict.certAuthorityLine !== undefined
            ? refuse(
                `only an @cert-authority line (${policy.file} line ${verdict.certAuthorityLine}) names this host, and host certificates are not supported: add the router's own host key, or pin its fingerprint`,
              )
            : refuse(`the host is not in ${policy.file} (add it, pin a fingerprint, or set hostKey.acceptAny)`);
      }
    }
  }
}
