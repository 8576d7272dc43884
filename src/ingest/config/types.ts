import type { LegacyAlgorithms } from './legacy-algorithms.js';

export type { LegacyAlgorithms };

/** Resolved, validated poll configuration. Durations are milliseconds. */
export type HostKeyPolicy =
  | { kind: 'knownHosts'; file: string }
  | { kind: 'fingerprint'; fingerprints: readonly string[] }
  | { kind: 'acceptAny' };

export interface RouterAuth {
  password?: string;
  privateKey?: string;
  passphrase?: string;
}

export interface ShellSettings {
  /** Matched against the last, unterminated line of output. */
  prompt: RegExp;
  /** Matched the same way; answered with a single space. */
  pager: RegExp;
  /** Sent once per shell channel, each answered by a prompt, before the first poll. */
  setup: readonly string[];
}

/** How the poller reaches a router. */
export type RouterTransport = 'ssh' | 'telnet' | 'tr064' | 'http';

export interface TelnetSettings {
  /** Matched against the last, unterminated line; answered with the user name. */
  loginPrompt: RegExp;
  /** Matched the same way; answered with the password. */
  passwordPrompt: RegExp;
  /** Seen after the password was sent: the login failed. */
  loginFailed: RegExp;
  /** Silence after which an Enter is sent, for modems that hold their output until they get input. */
  wakeMs: number;
}

export interface Tr064Settings {
  https: boolean;
  /** Accept any certificate (a FRITZ!Box's own is self-signed). Off unless set per router. */
  insecureSkipVerify: boolean;
  /** A PEM file with the certificate (or its CA) to trust instead. */
  caFile: string | undefined;
  /** Control URL of the service. */
  controlUrl: string;
  /** Service type of the SOAP actions. */
  service: string;
}

/** How an `http` router's page is unlocked. */
export type HttpLogin = 'none' | 'basic' | 'digest' | 'form';

export interface HttpFormLogin {
  /** Where the login form posts to (absolute). */
  url: string;
  userField: string;
  passwordField: string;
  /** Further fields the device's login form sends (`{ Submit: 'Login' }`). */
  fields: Readonly<Record<string, string>>;
  /** A page that matches was sent instead of the status: the session has ended. */
  loggedOut: RegExp | undefined;
  /** A login reply that matches means the device refused the user or password. */
  failed: RegExp | undefined;
}

export interface HttpSettings {
  /** The status page (absolute `http:` or `https:` URL). */
  url: string;
  login: HttpLogin;
  /** Verify the HTTPS certificate (on unless turned off for the router). */
  tlsVerify: boolean;
  /** A PEM file with the certificate (or its CA) to trust. */
  caFile: string | undefined;
  form: HttpFormLogin | undefined;
}

export interface RouterConfig {
  name: string;
  address: string;
  port: number;
  user: string;
  auth: RouterAuth;
  command: string;
  parser: string;
  intervalMs: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  mode: 'exec' | 'shell';
  shell: ShellSettings;
  tags: Record<string, string>;
  legacyAlgorithms: LegacyAlgorithms | undefined;
  hostKey: HostKeyPolicy;
  transport: RouterTransport;
  telnet: TelnetSettings;
  tr064: Tr064Settings;
  /** Set for `transport: http` only. */
  http: HttpSettings | undefined;
}

export interface PollConfig {
  routers: readonly RouterConfig[];
  concurrency: number;
  /** Longest wait between attempts for a router that keeps failing. */
  maxBackoffMs: number;
  /** Fraction of the interval a poll may drift by, so routers on the same interval spread out. */
  jitter: number;
  /** How long shutdown waits for polls in flight before closing their connections. */
  shutdownTimeoutMs: number;
  queueDir: string | undefined;
  /** The `influx` section as written; the writer's resolver validates and owns it. */
  influx: Readonly<Record<string, unknown>> | undefined;
}
