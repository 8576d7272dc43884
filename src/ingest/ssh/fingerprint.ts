import { createHash } from 'node:crypto';

/** The fingerprint `ssh-keygen -lf` prints: `SHA256:` and unpadded base64 of the key blob's SHA-256. */
export function sha256Fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named at the start of an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, ...). */
export function keyTypeOf(keyBlob: Buffer): string | undefined {
  if (keyBlob.length < 4) return undefined;
  const len = keyBlob.readUInt32BE(0);
  // A blob starts with a length-prefixed type name; anything longer than 64 bytes is not one.
  if (len === 0 || len > 64 || keyBlob.length < 4 + len) return undefined;
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}
