/**
 * A user function written into a temp --udf-dir, in versions: `tally` keeps a running count and
 * sum of a field per group and stamps each output point with its code's version, so a test sees
 * which code handled each point while the state must go on unbroken across reloads.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './host-process.js';

export interface TallyVersion {
  /** Stamped on every output point as the `code` field. */
  code: number;
  snapshotVersion?: number;
  /** The option `field` is declared as this type (a change breaks running sessions' options). */
  fieldType?: 'string' | 'int';
  /** The function's name (another name makes a second function). */
  name?: string;
  /** Text put in the module as it is, e.g. a syntax error or a throw at load. */
  raw?: string;
  /** Whether to define snapshot/restore (default true). */
  stateful?: boolean;
}

const SDK = pathToFileURL(join(REPO_ROOT, 'dist/src/sdk/index.js')).href;

export function tallySource(v: TallyVersion): string {
  const stateful = v.stateful !== false;
  return `// tally, code version ${v.code}
import { defineUdf, opt, withFields } from ${JSON.stringify(SDK)};
${v.raw ?? ''}
export default defineUdf({
  name: ${JSON.stringify(v.name ?? 'tally')},
  description: 'test only: running count and sum of a field per group, stamped with the code version',
  wants: 'stream',
  provides: 'stream',
  snapshotVersion: ${v.snapshotVersion ?? 1},
  options: { field: opt.${v.fieldType ?? 'string'}()${v.fieldType === 'int' ? '.default(0)' : ".default('v')"} },
  create: ({ options }) => {
    const groups = new Map();
    return {
      point(point, out) {
        const value = point.fields[options.field];
        const g = groups.get(point.group) ?? { count: 0, sum: 0 };
        g.count += 1;
        g.sum += typeof value === 'number' ? value : 0;
        groups.set(point.group, g);
        out.emit(withFields(point, { count: g.count, sum: g.sum, code: ${v.code} }));
      },
${
  stateful
    ? `      snapshot: () => Object.fromEntries([...groups].map(([k, g]) => [k, [g.count, g.sum]])),
      restore(state) {
        groups.clear();
        for (const [k, [count, sum]] of Object.entries(state)) groups.set(k, { count, sum });
      },`
    : ''
}
    };
  },
});
`;
}

/** Writes `tally.mjs` (or `<file>`) into `dir`, creating it. */
export function writeTally(dir: string, v: TallyVersion, file = 'tally.mjs'): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, file);
  writeFileSync(path, tallySource(v));
  return path;
}
