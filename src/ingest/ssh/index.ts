export { SshSession, type SshSessionOptions, type SessionRouter } from './ssh-session.js';
export { verifyHostKey, type HostKeyDecision, type HostKeyTarget } from './host-key-verifier.js';
export {
  parseKnownHosts,
  checkKnownHosts,
  knownHostsName,
  type KnownHostEntry,
  type KnownHostsVerdict,
} from './known-hosts.js';
export { sha256Fingerprint, keyTypeOf } from './fingerprint.js';
export { ShellOutputCollector, cleanTerminalText, type ShellEvent } from './shell-output.js';
