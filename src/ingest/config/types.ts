import type { LegacyAlgorithms } from '../ssh/legacy-algorithms.js';

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
