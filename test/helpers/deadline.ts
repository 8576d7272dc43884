/**
 * `work`'s value, or 'deadline' if it has not settled within `ms`. For tests whose failure mode
 * is a hang: the timer also keeps the process alive, so a promise left pending for good is
 * reported as such instead of the runner cancelling the test for an empty event loop.
 */
export async function beforeDeadline<T>(work: Promise<T>, ms: number): Promise<T | 'deadline'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), ms)));
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
