import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface SelfSignedCert {
  keyFile: string;
  certFile: string;
}

/**
 * Writes a one-day self-signed RSA key and certificate for `subject` (`/CN=...`) into `dir` with
 * openssl, as key.pem and cert.pem; `ipSan` adds that address as a subjectAltName, which Node's
 * TLS client needs to accept the certificate for a bare IP.
 */
export function selfSignedCert(dir: string, subject: string, ipSan?: string): SelfSignedCert {
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile];
  args.push('-days', '1', '-subj', subject);
  if (ipSan !== undefined) args.push('-addext', `subjectAltName=IP:${ipSan}`);
  execFileSync('openssl', args, { stdio: 'ignore' });
  return { keyFile, certFile };
}
