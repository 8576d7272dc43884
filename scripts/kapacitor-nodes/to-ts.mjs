// Writes src/check/kapacitor-nodes.ts from what dump.go prints (see README.md beside this file):
//   node scripts/kapacitor-nodes/to-ts.mjs nodes.json > src/check/kapacitor-nodes.ts
import { readFileSync } from 'node:fs';

const nodes = JSON.parse(readFileSync(process.argv[2], 'utf8'));
// Methods every node has that are no TICKscript chaining methods anyone writes.
const IGNORE = new Set([
  'Children',
  'Desc',
  'ID',
  'IsQuiet',
  'MarshalJSON',
  'UnmarshalJSON',
  'Name',
  'Parents',
  'Provides',
  'Wants',
  'SetName',
  'ChainMethods',
]);
// An alert handler's .all() returns the alert node's embedded data, which has the alert node's methods.
const rename = (t) => (t === 'AlertNodeData' ? 'AlertNode' : t);
const lc = (s) => s[0].toLowerCase() + s.slice(1);
const chainOf = (n) =>
  Object.fromEntries(
    Object.entries(n.chain)
      .filter(([k]) => !IGNORE.has(k))
      .map(([k, v]) => [k, rename(v)]),
  );
const base = chainOf(nodes.LogNode);
const out = [];
out.push(`/**
 * The nodes of Kapacitor 1.5.9's TICKscript pipeline: for each node type, the properties (\`.name()\`)
 * and chaining methods (\`|name()\`) it has, and the node type each leads to, as Kapacitor's
 * evaluator finds them by reflection. Generated from Kapacitor's pipeline package by
 * scripts/kapacitor-nodes/ (do not edit by hand); names as written in TICKscript.
 * A property maps to '' when it returns the same node, else to the type it returns (an alert
 * handler); a chaining method maps to the node type it creates ('' when it is no node).
 */

export interface NodeModel {
  readonly properties: Readonly<Record<string, string>>;
  readonly chain: Readonly<Record<string, string>>;
}

/** The chaining methods every processing node has. */
const CHAIN: Readonly<Record<string, string>> = {`);
for (const k of Object.keys(base).sort()) out.push(`  ${lc(k)}: '${base[k]}',`);
out.push('};\n');
out.push(
  `const without = (names: readonly string[]): Record<string, string> => Object.fromEntries(Object.entries(CHAIN).filter(([n]) => !names.includes(n)));\n`,
);
out.push('export const KAPACITOR_NODES: Readonly<Record<string, NodeModel>> = {');
for (const name of Object.keys(nodes).sort()) {
  if (name === 'AlertNodeData') continue;
  const props = Object.entries(nodes[name].properties)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([p, r]) => {
      const res = r === 'field' ? '' : rename(r.slice('method:'.length));
      return `${lc(p)}: '${res === name ? '' : res}'`;
    });
  const ch = chainOf(nodes[name]);
  const missing = Object.keys(base).filter((k) => !(k in ch));
  const extra = Object.entries(ch).filter(([k, r]) => !(k in base) || base[k] !== r);
  let cs;
  if (missing.length > Object.keys(base).length / 2) {
    cs = `{ ${Object.entries(ch)
      .filter(([, r]) => r !== '')
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, r]) => `${lc(k)}: '${r}'`)
      .join(', ')} }`;
  } else {
    const parts = [
      missing.length > 0
        ? `...without([${missing
            .sort()
            .map((m) => `'${lc(m)}'`)
            .join(', ')}])`
        : '...CHAIN',
    ];
    for (const [k, r] of extra.sort(([a], [b]) => (a < b ? -1 : 1))) parts.push(`${lc(k)}: '${r}'`);
    cs = `{ ${parts.join(', ')} }`;
  }
  out.push(`  ${name}: {\n    properties: { ${props.join(', ')} },\n    chain: ${cs},\n  },`);
}
out.push('};');
process.stdout.write(`${out.join('\n')}\n`);
