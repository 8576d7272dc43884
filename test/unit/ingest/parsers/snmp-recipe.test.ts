/**
 * The Telegraf recipe in docs/ingest.md (SNMP section) writes the poller's measurement and field names, with the types
 * the poller writes them as, and uses only the OIDs its tables document.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { statusToPoints } from '../../../../src/ingest/index.js';
import { LINE_METRIC_KEYS } from '../../../../src/ingest/parsers/index.js';

const page = readFileSync(fileURLToPath(new URL('../../../../../docs/ingest.md', import.meta.url)), 'utf8');
const doc = page.slice(page.indexOf('## SNMP'), page.indexOf('## Code map'));

const block = /```toml snmp-telegraf\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';

interface Field {
  name: string;
  oid: string;
  conversion: string | undefined;
}

/** The `[[inputs.snmp.field]]` tables of the block, each up to the next table header. */
function fields(): Field[] {
  return block
    .split(/^\s*\[\[/m)
    .filter((part) => part.startsWith('inputs.snmp.field]]'))
    .map((part) => {
      const get = (key: string): string | undefined =>
        new RegExp(String.raw`^\s*${key}\s*=\s*"([^"]*)"`, 'm').exec(part)?.[1];
      const name = get('name');
      const oid = get('oid');
      assert.ok(name !== undefined && oid !== undefined, `a field table without name or oid: ${part}`);
      return { name, oid, conversion: get('conversion') };
    });
}

/** Rows of the doc's OID tables: field name and OID. */
function tableRows(): { name: string; oid: string }[] {
  const rows: { name: string; oid: string }[] = [];
  for (const m of doc.matchAll(/^\| `(\w+)` \| [^|]+ \| ([\d.]+) \|/gm))
    rows.push({ name: m[1] ?? '', oid: m[2] ?? '' });
  return rows;
}

const kbpsToInt =
  /for key in \[([^\]]*)\]:\s*\n\s*if key in metric\.fields:\s*\n\s*metric\.fields\[key\] = int\(metric\.fields\[key\] \/\/ 1000\)/.exec(
    block,
  )?.[1] ?? '';

describe('the SNMP recipe', () => {
  it('writes the measurement the poller writes its line metrics to, tagged with the router as host', () => {
    const { points } = statusToPoints({ snr_margin_down_db: 1 }, { host: 'dsl-home', tags: {}, time: 0n });
    const measurement = points[0]?.measurement;
    assert.equal(measurement, 'adsl_line');
    assert.match(block, new RegExp(String.raw`^\s*name = "${measurement}"`, 'm'));
    assert.match(block, /^\s*omit_hostname = true/m);
    assert.match(block, /\[inputs\.snmp\.tags\]\s*\n\s*host = "[^"]+"/);
  });

  it('names only fields the poller writes, each once', () => {
    const names = fields().map((f) => f.name);
    assert.ok(names.length >= 10);
    assert.equal(new Set(names).size, names.length);
    for (const n of names) assert.ok(n in LINE_METRIC_KEYS, `${n} is not an adsl_line field`);
  });

  it('gives dB fields as floats scaled from tenths and rates as integer kbps, as the poller types them', () => {
    const converted = kbpsToInt
      .split(',')
      .map((s) => s.trim().replace(/"/g, ''))
      .filter((s) => s !== '');
    for (const f of fields()) {
      const type = LINE_METRIC_KEYS[f.name as keyof typeof LINE_METRIC_KEYS];
      if (type === 'float') assert.equal(f.conversion, 'float(1)', `${f.name}: the MIBs give tenths of a dB`);
      else assert.equal(f.conversion, undefined, `${f.name} must stay an integer`);
      if (f.name.endsWith('_kbps')) assert.ok(converted.includes(f.name), `${f.name}: bit/s must become integer kbps`);
    }
    for (const name of converted) assert.ok(name.endsWith('_kbps') && name in LINE_METRIC_KEYS, name);
  });

  it('uses for every field the OID the tables give for it, and the tables name only our fields', () => {
    const rows = tableRows();
    assert.ok(rows.length >= 18, 'both MIB tables are documented');
    for (const r of rows) assert.ok(r.name in LINE_METRIC_KEYS, `table row ${r.name}`);
    for (const f of fields()) {
      assert.ok(
        rows.some((r) => r.name === f.name && r.oid === f.oid),
        `${f.name} ${f.oid} is not in the tables`,
      );
    }
  });

  it('keeps each MIB in its own subtree: ADSL-LINE-MIB under transmission 94, VDSL2-LINE-MIB under 251', () => {
    const adsl = doc.slice(doc.indexOf('### ADSL-LINE-MIB'), doc.indexOf('### VDSL2-LINE-MIB'));
    const vdsl = doc.slice(doc.indexOf('### VDSL2-LINE-MIB'), doc.indexOf('### Telegraf'));
    for (const m of adsl.matchAll(/\| (1\.3\.6\.[\d.]+) \|/g))
      assert.ok(m[1]?.startsWith('1.3.6.1.2.1.10.94.1.1.'), m[1]);
    for (const m of vdsl.matchAll(/\| (1\.3\.6\.[\d.]+) \|/g))
      assert.ok(m[1]?.startsWith('1.3.6.1.2.1.10.251.1.1.'), m[1]);
  });
});
