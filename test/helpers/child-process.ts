import type { ChildProcess } from 'node:child_process';

/**
 * Stops a server the tests started: SIGTERM for an orderly exit, SIGKILL after `graceMs` so a
 * hung child never outlives the test. Resolves once it has exited.
 */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
