import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { stopChild } from './child-process.js';
import { freePort } from './free-port.js';

/** A real OpenSSH server on 127.0.0.1 acting as a DSL router whose status command prints a fixture. */
export interface SshdHandle {
  port: number;
  user: string;
  dir: string;
  /** Client private key (OpenSSH format) that the server accepts. */
  clientKey: string;
  clientKeyPath: string;
  /** `ssh-ed25519 AAAA...` of the server's host key. */
  hostPublicKey: string;
  /** SHA256 fingerprint of the host key, as `ssh-keygen -lf` prints it. */
  hostFingerprint: string;
  /** Everything sshd wrote to stderr so far. */
  log(): string;
  /** SSH logins accepted so far, from sshd's log (which may lag behind the commands). */
  logins(): number;
  /** Commands the ForceCommand script ran so far (one per exec channel), in order. */
  commands(): string[];
  /** Distinct client connections that ran a command, counted exactly from $SSH_CLIENT. */
  connections(): number;
  stop(): Promise<void>;
}

export interface SshdOptions {
  /** Directory `cat <path>` commands are resolved against (the repository root). */
  root: string;
}

const SSHD = '/usr/sbin/sshd';

function keygen(path: string): void {
  execFileSync('/usr/bin/ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kudf-test', '-f', path], {
    stdio: 'ignore',
  });
}

/**
 * The ForceCommand: `cat <path under test/fixtures>` prints that file; `fail` exits 3 with an
 * error; `hang` sleeps; `drop` kills its own sshd session, which is how a device that closes
 * connections looks from the client. Every command is appended to commands.log.
 */
function forceScript(dir: string, root: string): string {
  return `#!/bin/sh
printf '%s|%s\\n' "$SSH_CLIENT" "$SSH_ORIGINAL_COMMAND" >> '${dir}/commands.log'
case "$SSH_ORIGINAL_COMMAND" in
  "cat test/fixtures/"*)
    f="\${SSH_ORIGINAL_COMMAND#cat }"
    case "$f" in *..*) echo "bad path" >&2; exit 2;; esac
    exec cat -- '${root}'/"$f" ;;
  fail) echo "xdslctl: command not found" >&2; exit 3 ;;
  hang) exec sleep 60 ;;
  drop) kill -TERM $PPID; sleep 5 ;;
  *) echo "unknown command: $SSH_ORIGINAL_COMMAND" >&2; exit 127 ;;
esac
`;
}

export async function startSshd(opts: SshdOptions): Promise<SshdHandle> {
  // The tests need the real thing; CI installs it (.ci/run), so its absence is a failure, not a skip.
  if (!existsSync(SSHD) || !existsSync('/usr/bin/ssh-keygen'))
    throw new Error(`${SSHD} or ssh-keygen not found: apt-get install openssh-server`);
  const dir = mkdtempSync(join(tmpdir(), 'kudf-sshd-'));
  chmodSync(dir, 0o755);
  // Privilege separation needs this directory; a fresh CI container may not have it.
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKeyPath = join(dir, 'host_ed25519');
  const clientKeyPath = join(dir, 'client_ed25519');
  keygen(hostKeyPath);
  keygen(clientKeyPath);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKeyPath}.pub`));
  writeFileSync(join(dir, 'commands.log'), '');
  const script = join(dir, 'force.sh');
  writeFileSync(script, forceScript(dir, opts.root), { mode: 0o755 });
  const user = userInfo().username;
  const hostPublicKey = readFileSync(`${hostKeyPath}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const fp = execFileSync('/usr/bin/ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKeyPath}.pub`], {
    encoding: 'utf8',
  });
  const hostFingerprint = fp.split(' ')[1] ?? '';

  let lastErr = '';
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    const cfg = join(dir, 'sshd_config');
    writeFileSync(
      cfg,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKeyPath}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'StrictModes no',
        'UsePAM no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PubkeyAuthentication yes',
        'PermitRootLogin prohibit-password',
        `AllowUsers ${user}`,
        `ForceCommand ${script}`,
        'LogLevel VERBOSE',
        'MaxSessions 20',
        'MaxStartups 100:30:200',
        'PrintMotd no',
        'PrintLastLog no',
        '',
      ].join('\n'),
    );
    const child = spawn(SSHD, ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      stderr += d;
    });
    const ready = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 10_000);
      const check = (): void => {
        if (stderr.includes(`Server listening on 127.0.0.1 port ${port}`)) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stderr?.on('data', check);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    if (!ready) {
      lastErr = stderr;
      await stopChild(child, 3000);
      continue;
    }
    return {
      port,
      user,
      dir,
      clientKey: readFileSync(clientKeyPath, 'utf8'),
      clientKeyPath,
      hostPublicKey,
      hostFingerprint,
      log: () => stderr,
      logins: () => stderr.split('\n').filter((l) => l.includes('Accepted publickey for')).length,
      commands: () => commandLog(dir).map((c) => c.command),
      connections: () => new Set(commandLog(dir).map((c) => c.client)).size,
      stop: async () => {
        await stopChild(child, 3000);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`sshd did not start: ${lastErr}`);
}

function commandLog(dir: string): Array<{ client: string; command: string }> {
  return readFileSync(join(dir, 'commands.log'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const bar = l.indexOf('|');
      return { client: l.slice(0, bar), command: l.slice(bar + 1) };
    });
}
