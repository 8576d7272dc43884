import type { UdfDefinition } from '../sdk/index.js';
import { describeUdf, canonicalJson } from '../sdk/internal.js';

/**
 * Why running sessions of `current` cannot move to `next`, a reloaded version of the same
 * function, or undefined when they can. Kapacitor wired each task's node by the edge types it
 * read in Info at its start-up, and snapshots carry the version of their shape: a change of
 * either means the running task and the new code disagree. Option declarations are checked
 * against each session's own options when it moves (Session.adopt).
 */
export function reloadMismatch(current: UdfDefinition, next: UdfDefinition): string | undefined {
  if (current.wants !== next.wants || current.provides !== next.provides) {
    return `edge types changed (${current.wants} -> ${current.provides} is now ${next.wants} -> ${next.provides})`;
  }
  const was = current.snapshotVersion ?? 1;
  const now = next.snapshotVersion ?? 1;
  if (was !== now) return `snapshotVersion changed (${was} is now ${now})`;
  return undefined;
}

/**
 * Whether Kapacitor's view of a function (its InfoResponse: edge types and option names and
 * value types) differs between two versions: Kapacitor reads Info only at its own start-up, so
 * such a change reaches TICKscripts only after Kapacitor restarts.
 */
export function infoChanged(current: UdfDefinition, next: UdfDefinition): boolean {
  return canonicalJson(describeUdf(current)) !== canonicalJson(describeUdf(next));
}
