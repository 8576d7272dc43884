import { getCiphers, getHashes } from 'node:crypto';

/** Algorithm names appended to ssh2's defaults, per negotiation list. */
export interface LegacyAlgorithms {
  kex: readonly string[];
  cipher: readonly string[];
  serverHostKey: readonly string[];
  hmac: readonly string[];
}

/**
 * Algorithms OpenSSH and ssh2 no longer offer by default but old DSL routers still need.
 * Only appended (after the modern defaults) and only for routers that opt in.
 */
export const LEGACY_ALGORITHMS: LegacyAlgorithms = {
  kex: ['diffie-hellman-group14-sha1', 'diffie-hellman-group-exchange-sha1', 'diffie-hellman-group1-sha1'],
  cipher: ['aes128-cbc', 'aes192-cbc', 'aes256-cbc', '3des-cbc'],
  serverHostKey: ['ssh-rsa', 'ssh-dss'],
  hmac: ['hmac-sha1', 'hmac-sha1-96', 'hmac-md5', 'hmac-md5-96'],
};

// ssh2 throws at connect for a cipher or MAC the local OpenSSL lacks; these names map to OpenSSL's.
const CIPHER_OPENSSL: Record<string, string> = {
  'aes128-cbc': 'aes-128-cbc',
  'aes192-cbc': 'aes-192-cbc',
  'aes256-cbc': 'aes-256-cbc',
  '3des-cbc': 'des-ede3-cbc',
};
const HMAC_OPENSSL: Record<string, string> = {
  'hmac-sha1': 'sha1',
  'hmac-sha1-96': 'sha1',
  'hmac-md5': 'md5',
  'hmac-md5-96': 'md5',
};

/** Whether this Node/OpenSSL build can use the legacy algorithm at all. */
export function isLegacyAlgorithmAvailable(kind: keyof LegacyAlgorithms, name: string): boolean {
  if (!LEGACY_ALGORITHMS[kind].includes(name)) return false;
  if (kind === 'cipher') return getCiphers().includes(CIPHER_OPENSSL[name] ?? name);
  if (kind === 'hmac') return getHashes().includes(HMAC_OPENSSL[name] ?? name);
  return true;
}

export function availableLegacyAlgorithms(): LegacyAlgorithms {
  return {
    kex: LEGACY_ALGORITHMS.kex.filter((n) => isLegacyAlgorithmAvailable('kex', n)),
    cipher: LEGACY_ALGORITHMS.cipher.filter((n) => isLegacyAlgorithmAvailable('cipher', n)),
    serverHostKey: LEGACY_ALGORITHMS.serverHostKey.filter((n) => isLegacyAlgorithmAvailable('serverHostKey', n)),
    hmac: LEGACY_ALGORITHMS.hmac.filter((n) => isLegacyAlgorithmAvailable('hmac', n)),
  };
}
