/**
 * Grafana's provisioning and dashboard: the data source points at the sandbox's InfluxDB, and
 * every query names measurements, fields and tags that the poller or a TICKscript writes.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadPollConfig } from '../../src/ingest/config/index.js';
import {
  REPO,
  hostPathOf,
  loadCompose,
  parseSelect,
  pollerMeasurements,
  service,
  servedFunctions,
  tickscriptMeasurements,
  type WrittenModel,
} from './deploy-files.js';

const compose = loadCompose();
const grafana = service(compose, 'grafana');

function provisioningFiles(kind: 'datasources' | 'dashboards'): Array<Record<string, unknown>> {
  const dir = hostPathOf(compose, grafana, `/etc/grafana/provisioning/${kind}`);
  assert.ok(dir !== undefined, `/etc/grafana/provisioning/${kind} is not mounted`);
  return readdirSync(dir)
    .filter((n) => /\.ya?ml$/.test(n))
    .map((n) => parseYaml(readFileSync(join(dir, n), 'utf8')) as Record<string, unknown>);
}

interface DataSource {
  uid: string;
  type: string;
  url: string;
  jsonData?: { dbName?: string; version?: string };
}

const datasources = provisioningFiles('datasources').flatMap((f) => (f['datasources'] ?? []) as DataSource[]);

function dashboards(): Array<{ file: string; json: Record<string, unknown> }> {
  const providers = provisioningFiles('dashboards').flatMap((f) => (f['providers'] ?? []) as Array<{ options?: { path?: string } }>);
  return providers.flatMap((p) => {
    const dir = hostPathOf(compose, grafana, p.options?.path ?? '');
    assert.ok(dir !== undefined, `dashboard path ${p.options?.path} is not mounted`);
    return readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .map((n) => ({ file: n, json: JSON.parse(readFileSync(join(dir, n), 'utf8')) as Record<string, unknown> }));
  });
}

/** Every InfluxQL query of a dashboard with the data source it names: panels, annotations, variables. */
function queries(dash: Record<string, unknown>): Array<{ where: string; query: string; datasource: { uid?: string } | undefined }> {
  const out: Array<{ where: string; query: string; datasource: { uid?: string } | undefined }> = [];
  const walkPanels = (panels: unknown[]): void => {
    for (const p of panels as Array<Record<string, unknown>>) {
      for (const t of (p['targets'] ?? []) as Array<Record<string, unknown>>) {
        out.push({ where: `panel "${String(p['title'])}" ${String(t['refId'])}`, query: String(t['query']), datasource: (t['datasource'] ?? p['datasource']) as { uid?: string } });
      }
      walkPanels((p['panels'] ?? []) as unknown[]);
    }
  };
  walkPanels((dash['panels'] ?? []) as unknown[]);
  for (const a of ((dash['annotations'] as { list?: unknown[] } | undefined)?.list ?? []) as Array<Record<string, unknown>>) {
    if (a['builtIn'] === 1) continue;
    out.push({ where: `annotation "${String(a['name'])}"`, query: String(a['query']), datasource: a['datasource'] as { uid?: string } });
  }
  for (const v of ((dash['templating'] as { list?: unknown[] } | undefined)?.list ?? []) as Array<Record<string, unknown>>) {
    if (v['type'] === 'query') out.push({ where: `variable $${String(v['name'])}`, query: String(v['query']), datasource: v['datasource'] as { uid?: string } });
  }
  return out;
}

/** What the sandbox writes: the poller's points (with its routers' tags) and the TICKscripts' outputs. */
async function writtenModel(): Promise<WrittenModel> {
  const routerTags = /tags:\s*\{([^}]*)\}/.exec(readFileSync(join(REPO, 'docker/poller/poll.yaml'), 'utf8'));
  const tags = Object.fromEntries((routerTags?.[1] ?? '').split(',').filter((s) => s.includes(':')).map((s) => s.split(':').map((x) => x.trim()) as [string, string]));
  const poller = pollerMeasurements(tags);
  const ticks = tickscriptMeasurements(join(REPO, 'tickscripts'), poller, await servedFunctions(undefined));
  const model: WrittenModel = new Map(poller);
  for (const [name, m] of ticks) model.set(name, m);
  return model;
}

/** Problems with one query against what is written; empty when every name exists. */
function queryProblems(query: string, model: WrittenModel): string[] {
  const show = /^SHOW TAG VALUES FROM "([^"]+)" WITH KEY = "([^"]+)"/i.exec(query);
  if (show !== null) {
    const m = model.get(show[1]!);
    if (m === undefined) return [`nothing writes ${show[1]}`];
    return m.tags.has(show[2]!) ? [] : [`${show[1]} has no tag ${show[2]}`];
  }
  const { fields, measurement } = parseSelect(query);
  const m = model.get(measurement);
  if (m === undefined) return [`nothing writes ${measurement}`];
  // InfluxQL may select a tag next to fields (it comes back as a column), never a tag alone.
  const problems = fields.filter((f) => !m.fields.has(f) && !m.tags.has(f)).map((f) => `${measurement} has no field ${f} (written: ${[...m.fields].join(', ')})`);
  if (fields.length > 0 && fields.every((f) => m.tags.has(f))) problems.push(`${measurement}: the query selects only tags, which InfluxQL answers with nothing`);
  const where = /\bWHERE\b(.*?)(?:\bGROUP BY\b|\bORDER BY\b|\bLIMIT\b|$)/is.exec(query)?.[1] ?? '';
  for (const [, name] of where.matchAll(/"([^"]+)"/g)) {
    if (!m.fields.has(name!) && !m.tags.has(name!)) problems.push(`${measurement} has no field or tag ${name}`);
  }
  const groupBy = /\bGROUP BY\b(.*?)(?:\bfill\(|\bORDER BY\b|\bLIMIT\b|$)/is.exec(query)?.[1] ?? '';
  for (const [, name] of groupBy.matchAll(/"([^"]+)"/g)) if (!m.tags.has(name!)) problems.push(`${measurement} has no tag ${name} to group by`);
  return problems;
}

describe('Grafana provisioning', () => {
  test('the data source is InfluxDB over InfluxQL at the sandbox influxdb service and the database the poller writes', () => {
    assert.equal(datasources.length, 1);
    const ds = datasources[0]!;
    assert.equal(ds.type, 'influxdb');
    assert.equal(ds.jsonData?.version, 'InfluxQL');
    const url = new URL(ds.url);
    assert.ok(compose.services.has(url.hostname), `${ds.url}: no such service`);
    assert.equal(url.port, '8086');
    const poller = [...compose.services.values()].find((s) => s.command?.[0] === 'poll')!;
    const configHost = hostPathOf(compose, poller, '/etc/kudf/poll.yaml')!;
    const config = loadPollConfig(configHost, { env: { DSL_HOME_PASSWORD: 'x' } });
    assert.equal(ds.jsonData?.dbName, config.influx?.['db']);
  });

  test('Grafana runs only under the grafana profile with a pinned image', () => {
    assert.deepEqual(grafana.raw['profiles'], ['grafana']);
    assert.match(grafana.image ?? '', /^grafana\/grafana:\d+\.\d+\.\d+$/);
  });

  test('the dashboard provider reads the directory the dashboard JSON is mounted in, and finds a dashboard there', () => {
    const found = dashboards();
    assert.ok(found.length >= 1);
    for (const d of found) {
      assert.equal(typeof d.json['uid'], 'string', `${d.file}: uid`);
      assert.equal(typeof d.json['title'], 'string', `${d.file}: title`);
    }
  });

  test('every dashboard query uses the provisioned data source', () => {
    const uids = new Set(datasources.map((d) => d.uid));
    for (const d of dashboards()) {
      const qs = queries(d.json);
      assert.ok(qs.length > 0);
      for (const q of qs) assert.ok(q.datasource?.uid !== undefined && uids.has(q.datasource.uid), `${d.file} ${q.where}: data source ${JSON.stringify(q.datasource)}`);
    }
  });

  test('every measurement, field and tag a dashboard query names is written by the poller or a TICKscript', async () => {
    const model = await writtenModel();
    for (const d of dashboards()) {
      const problems = queries(d.json).flatMap((q) => queryProblems(q.query, model).map((p) => `${d.file} ${q.where}: ${p}`));
      assert.deepEqual(problems, []);
    }
  });

  test('the query check itself rejects an unknown measurement, field, tag and group-by key', async () => {
    const model = await writtenModel();
    assert.deepEqual(queryProblems('SELECT mean("snr_margin_down_db") FROM "adsl_line" WHERE "host" =~ /x/ GROUP BY "host"', model), []);
    assert.equal(queryProblems('SELECT "value" FROM "adsl_nothing"', model).length, 1);
    assert.equal(queryProblems('SELECT mean("snr_margin_dn_db") FROM "adsl_line"', model).length, 1);
    assert.equal(queryProblems('SELECT "value" FROM "adsl_connection" WHERE "router" = \'x\'', model).length, 1);
    assert.equal(queryProblems('SELECT "value" FROM "adsl_connection" GROUP BY "value"', model).length, 1);
    assert.equal(queryProblems('SHOW TAG VALUES FROM "adsl_connection" WITH KEY = "state"', model).length, 1);
    assert.deepEqual(queryProblems('SELECT "value", "host" FROM "adsl_connection"', model), []);
    assert.equal(queryProblems('SELECT "host" FROM "adsl_connection"', model).length, 1);
  });

  test('the written model follows the code: poller fields from statusToPoints, TICKscript outputs from their UDF options', async () => {
    const model = await writtenModel();
    assert.deepEqual([...model.get('adsl_connection')!.fields].sort(), ['line_up', 'state_class', 'value']);
    assert.ok(model.get('adsl_line')!.fields.has('snr_margin_down_db'));
    assert.ok(!model.get('adsl_line')!.fields.has('state'), 'the state goes to adsl_connection only');
    const changes = model.get('adsl_state_changes');
    assert.ok(changes !== undefined, 'adsl_state_changes.tick writes adsl_state_changes');
    for (const f of ['value', 'prev_value', 'prev_duration']) assert.ok(changes.fields.has(f), f);
    assert.ok(changes.tags.has('source') && changes.tags.has('host'));
    assert.deepEqual([...model.get('adsl_line_smoothed')!.fields].sort(), ['attenuation_down_db_ewma', 'snr_margin_down_db_avg']);
  });

  test('the dashboard shows line state, state changes, SNR margin, attenuation and sync rates', async () => {
    const all = dashboards().flatMap((d) => queries(d.json).map((q) => q.query));
    const reads = (measurement: string, field: string): boolean =>
      all.some((q) => !/^SHOW/i.test(q) && parseSelect(q).measurement === measurement && parseSelect(q).fields.includes(field));
    assert.ok(reads('adsl_connection', 'value'), 'line state');
    assert.ok(reads('adsl_connection', 'line_up'), 'line up');
    assert.ok(reads('adsl_state_changes', 'value'), 'state changes');
    for (const f of ['snr_margin_down_db', 'attenuation_down_db', 'sync_rate_down_kbps', 'sync_rate_up_kbps']) assert.ok(reads('adsl_line', f), f);
    const annotations = dashboards().flatMap((d) => queries(d.json).filter((q) => q.where.startsWith('annotation')));
    assert.ok(annotations.some((a) => parseSelect(a.query).measurement === 'adsl_state_changes'), 'state changes as annotations');
  });
});

/**
 * A pattern as Grafana compiles it (`stringToJsRegex` in @grafana/data): `/body/flags` becomes
 * `new RegExp(body, flags)` with flags from g, i, m, y, s; anything else is anchored as
 * `^pattern$`. JavaScript has no inline `(?i)` group, so such a pattern throws.
 */
function grafanaRegex(pattern: string): RegExp {
  if (!pattern.startsWith('/')) return new RegExp(`^${pattern}$`);
  const m = /^\/(.*?)\/(g?i?m?y?s?)$/.exec(pattern);
  if (m === null) throw new Error(`'${pattern}' is not a valid regular expression.`);
  return new RegExp(m[1]!, m[2]);
}

/**
 * Every pattern a dashboard hands to Grafana's regex compiler: regex value mappings, `byRegexp`
 * field matchers, variables' `regex` and transformations' `regex` options. InfluxQL's `=~ /…/`
 * goes to InfluxDB (Go regexp), not to the browser, and is not collected.
 */
function dashboardRegexes(node: unknown, path = '$'): Array<{ where: string; pattern: string }> {
  if (Array.isArray(node)) return node.flatMap((n, i) => dashboardRegexes(n, `${path}[${i}]`));
  if (node === null || typeof node !== 'object') return [];
  const o = node as Record<string, unknown>;
  const found: Array<{ where: string; pattern: string }> = [];
  const options = o['options'] as Record<string, unknown> | undefined;
  if (o['type'] === 'regex' && typeof options?.['pattern'] === 'string') found.push({ where: `${path}.options.pattern`, pattern: options['pattern'] });
  if (o['id'] === 'byRegexp' && typeof o['options'] === 'string') found.push({ where: `${path}.options`, pattern: o['options'] });
  if (typeof o['regex'] === 'string' && o['regex'] !== '') found.push({ where: `${path}.regex`, pattern: o['regex'] });
  for (const [k, v] of Object.entries(o)) found.push(...dashboardRegexes(v, `${path}.${k}`));
  return found;
}

/** The value mappings of a panel, applied as Grafana does: the first mapping that matches wins. */
function mappedColor(mappings: ReadonlyArray<Record<string, unknown>>, value: string): string | undefined {
  for (const m of mappings) {
    const options = m['options'] as Record<string, unknown>;
    if (m['type'] === 'regex' && grafanaRegex(String(options['pattern'])).test(value)) return (options['result'] as { color?: string }).color;
    if (m['type'] === 'value' && value in options) return (options[value] as { color?: string }).color;
  }
  return undefined;
}

/** The columns an InfluxQL SELECT returns: the alias, the selected name, or the function's name. */
function selectColumns(query: string): string[] {
  const list = /^\s*SELECT\s+(.+?)\s+FROM\s/is.exec(query)?.[1];
  if (list === undefined) return [];
  return list.split(',').map((item) => {
    const alias = /\s+AS\s+"?([^"\s]+)"?\s*$/i.exec(item)?.[1];
    if (alias !== undefined) return alias;
    const fn = /^\s*(\w+)\s*\(/.exec(item)?.[1];
    return fn ?? item.trim().replace(/^"|"$/g, '');
  });
}

/** Annotation options that name result columns, each with the columns the query returns. */
function annotationColumnProblems(annotation: Record<string, unknown>): string[] {
  const columns = new Set(selectColumns(String(annotation['query'])));
  const named = ['textColumn', 'titleColumn', 'timeEndColumn']
    .map((k) => [k, annotation[k]] as const)
    .filter(([, v]) => typeof v === 'string' && v !== '')
    .map(([k, v]) => [k, String(v)] as const);
  // Grafana splits tagsColumn at commas and reads each column of every row as tags.
  const tagsColumn = annotation['tagsColumn'];
  for (const t of (typeof tagsColumn === 'string' ? tagsColumn : '').split(',').map((x) => x.trim()).filter((x) => x !== '')) named.push(['tagsColumn', t]);
  return named.filter(([, c]) => !columns.has(c)).map(([k, c]) => `${k} "${c}" is not selected (columns: ${[...columns].join(', ')})`);
}

describe('Grafana dashboards as Grafana reads them', () => {
  test('every regex in the provisioned dashboards compiles as Grafana compiles it (JavaScript RegExp)', () => {
    const all = dashboards().flatMap((d) => dashboardRegexes(d.json).map((r) => ({ ...r, file: d.file })));
    assert.ok(all.length > 0, 'the dashboards have regex mappings');
    const broken = all.flatMap((r) => {
      try {
        grafanaRegex(r.pattern);
        return [];
      } catch (err) {
        return [`${r.file} ${r.where} ${r.pattern}: ${(err as Error).message}`];
      }
    });
    assert.deepEqual(broken, []);
  });

  test("the compiler behaves as Grafana's: an inline (?i) throws, /…/i is case-blind, a bare pattern is anchored", () => {
    assert.throws(() => grafanaRegex('(?i)^showtime.*'), SyntaxError);
    assert.ok(grafanaRegex('/^showtime/i').test('SHOWTIME'));
    assert.ok(!grafanaRegex('showtime').test('Showtime'));
    assert.ok(!grafanaRegex('up').test('up and running'));
    assert.throws(() => grafanaRegex('/x/q'), /not a valid regular expression/);
  });

  test('the "Line state" panel colours the states routers print by their class: showtime green, training orange, idle, down and error red', () => {
    const panel = dashboards()
      .flatMap((d) => (d.json['panels'] ?? []) as Array<Record<string, unknown>>)
      .find((p) => p['title'] === 'Line state');
    assert.ok(panel !== undefined);
    const mappings = ((panel['fieldConfig'] as { defaults?: { mappings?: Array<Record<string, unknown>> } }).defaults?.mappings ?? []);
    const colorOf: Record<string, string> = { showtime: 'green', training: 'orange', idle: 'red', down: 'red', error: 'red' };
    // The states the parsers' fixtures (real device outputs) print, with the class they parse to.
    const fixtureDir = join(REPO, 'test/fixtures/adsl');
    const seen: Array<[string, string]> = readdirSync(fixtureDir)
      .filter((n) => n.endsWith('.expected.json'))
      .map((n) => JSON.parse(readFileSync(join(fixtureDir, n), 'utf8')) as { state?: string; state_class?: string })
      .filter((e) => typeof e.state === 'string' && typeof e.state_class === 'string')
      .map((e) => [e.state!, e.state_class!]);
    assert.ok(seen.length >= 5);
    // States from the vendors' documented vocabularies that the fixtures do not cover.
    const more: Array<[string, string]> = [
      ['G.994 Training', 'training'],
      ['G.992 Started', 'training'],
      ['G.992 Channel Analysis', 'training'],
      ['G.992 Message Exchange', 'training'],
      ['TRAINING', 'training'],
      ['Handshake', 'training'],
      ['Idle', 'idle'],
      ['DOWN', 'down'],
      ['Disabled', 'down'],
      ['No signal', 'down'],
      ['Error', 'error'],
      ['Failed', 'error'],
    ];
    const wrong = [...seen, ...more].filter(([state, cls]) => mappedColor(mappings, state) !== colorOf[cls]).map(([state, cls]) => `${state} (${cls}) -> ${mappedColor(mappings, state)}`);
    assert.deepEqual(wrong, []);
  });

  test("each annotation's text, title and tag columns are selected by its query", () => {
    const annotations = dashboards().flatMap((d) =>
      (((d.json['annotations'] as { list?: unknown[] } | undefined)?.list ?? []) as Array<Record<string, unknown>>).filter((a) => a['builtIn'] !== 1).map((a) => ({ file: d.file, a })),
    );
    assert.ok(annotations.length > 0);
    for (const { file, a } of annotations) assert.deepEqual(annotationColumnProblems(a), [], `${file} annotation "${String(a['name'])}"`);
    assert.ok(annotations.some(({ a }) => typeof a['tagsColumn'] === 'string' && a['tagsColumn'].split(',').includes('host')), 'state changes are tagged with the router');
    // The check itself: the query as it was (no "host" selected) fails it.
    assert.equal(annotationColumnProblems({ query: 'SELECT "value", "prev_value" FROM "adsl_state_changes" WHERE $timeFilter', textColumn: 'value', tagsColumn: 'host' }).length, 1);
    assert.deepEqual(selectColumns('SELECT mean("x") AS "down", last("y"), "z" FROM "m"'), ['down', 'last', 'z']);
  });
});
