/**
 * Grafana's provisioning and dashboards: the data sources point at the sandbox's InfluxDB, and
 * every query names measurements, fields and tags that are written to the database it reads:
 * by the poller or a TICKscript (`adsl`), or by Telegraf from the host's and the poller's
 * /metrics (`telegraf`). The host and poller dashboard's queries also run on a real InfluxDB
 * over what Telegraf writes from scrapes of the metrics code.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { loadPollConfig } from '../../src/ingest/config/index.js';
import { Influxd, type QuerySeries } from '../helpers/index.js';
import {
  REPO,
  hostPathOf,
  loadCompose,
  parseSelect,
  pollerMeasurements,
  service,
  servedFunctions,
  splitTopLevel,
  tickscriptMeasurements,
  type Measurement,
  type WrittenModel,
} from './deploy-files.js';
import {
  SandboxMetrics,
  goFloat,
  lineOf,
  loadTelegrafConf,
  modelOf,
  scrapeTargets,
  telegrafV1,
} from './telegraf-model.js';

const compose = loadCompose();
const grafana = service(compose, 'grafana');
const telegrafConf = loadTelegrafConf(compose);
const pollConfig = loadPollConfig(hostPathOf(compose, service(compose, 'poller'), '/etc/kudf/poll.yaml')!, {
  env: { DSL_HOME_PASSWORD: 'x' },
});
/** The database the poller and the TICKscripts write, and the one Telegraf writes. */
const ADSL_DB = String(pollConfig.influx?.['db']);
const TELEGRAF_DB = String(telegrafConf.outputs?.influxdb?.[0]?.database);

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
  jsonData?: { dbName?: string; version?: string; timeInterval?: string };
}

const datasources = provisioningFiles('datasources').flatMap((f) => (f['datasources'] ?? []) as DataSource[]);

function dashboards(): Array<{ file: string; json: Record<string, unknown> }> {
  const providers = provisioningFiles('dashboards').flatMap(
    (f) => (f['providers'] ?? []) as Array<{ options?: { path?: string } }>,
  );
  return providers.flatMap((p) => {
    const dir = hostPathOf(compose, grafana, p.options?.path ?? '');
    assert.ok(dir !== undefined, `dashboard path ${p.options?.path} is not mounted`);
    return readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .map((n) => ({ file: n, json: JSON.parse(readFileSync(join(dir, n), 'utf8')) as Record<string, unknown> }));
  });
}

function datasourceOfDb(db: string): DataSource {
  const ds = datasources.find((d) => d.jsonData?.dbName === db);
  assert.ok(ds !== undefined, `no data source reads the ${db} database`);
  return ds;
}

/** Every InfluxQL query of a dashboard with the data source it names: panels, annotations, variables. */
function queries(
  dash: Record<string, unknown>,
): Array<{ where: string; query: string; datasource: { uid?: string } | undefined }> {
  const out: Array<{ where: string; query: string; datasource: { uid?: string } | undefined }> = [];
  const walkPanels = (panels: unknown[]): void => {
    for (const p of panels as Array<Record<string, unknown>>) {
      for (const t of (p['targets'] ?? []) as Array<Record<string, unknown>>) {
        out.push({
          where: `panel "${String(p['title'])}" ${String(t['refId'])}`,
          query: String(t['query']),
          datasource: (t['datasource'] ?? p['datasource']) as { uid?: string },
        });
      }
      walkPanels((p['panels'] ?? []) as unknown[]);
    }
  };
  walkPanels((dash['panels'] ?? []) as unknown[]);
  for (const a of ((dash['annotations'] as { list?: unknown[] } | undefined)?.list ?? []) as Array<
    Record<string, unknown>
  >) {
    if (a['builtIn'] === 1) continue;
    out.push({
      where: `annotation "${String(a['name'])}"`,
      query: String(a['query']),
      datasource: a['datasource'] as { uid?: string },
    });
  }
  for (const v of ((dash['templating'] as { list?: unknown[] } | undefined)?.list ?? []) as Array<
    Record<string, unknown>
  >) {
    if (v['type'] === 'query')
      out.push({
        where: `variable $${String(v['name'])}`,
        query: String(v['query']),
        datasource: v['datasource'] as { uid?: string },
      });
  }
  return out;
}

/** What the sandbox writes: the poller's points (with its routers' tags) and the TICKscripts' outputs. */
async function writtenModel(): Promise<WrittenModel> {
  const routerTags = /tags:\s*\{([^}]*)\}/.exec(readFileSync(join(REPO, 'docker/poller/poll.yaml'), 'utf8'));
  const tags = Object.fromEntries(
    (routerTags?.[1] ?? '')
      .split(',')
      .filter((s) => s.includes(':'))
      .map((s) => s.split(':').map((x) => x.trim()) as [string, string]),
  );
  const poller = pollerMeasurements(tags);
  const ticks = tickscriptMeasurements(join(REPO, 'tickscripts'), poller, await servedFunctions(undefined));
  const model: WrittenModel = new Map(poller);
  for (const [name, m] of ticks) model.set(name, m);
  return model;
}

/** The sandbox's host and poller metrics: the functions of its --udf-dir and the routers of its poll.yaml. */
async function sandboxMetrics(): Promise<SandboxMetrics> {
  const kudf = [...compose.services.values()].find((s) => s.command?.[0] === 'serve')!;
  const args = kudf.command ?? [];
  const udfDir = hostPathOf(compose, kudf, args[args.indexOf('--udf-dir') + 1] ?? '');
  const functions = (await servedFunctions(udfDir)).map((d) => d.name);
  return new SandboxMetrics(
    functions,
    pollConfig.routers.map((r) => r.name),
  );
}

const targets = scrapeTargets(compose, telegrafConf);
const agentHost = String(telegrafConf.agent?.hostname);

/** What Telegraf writes into its database from scrapes of `kudf serve --http` and `kudf poll --http`. */
async function telegrafModel(): Promise<WrittenModel> {
  const metrics = await sandboxMetrics();
  const model: WrittenModel = new Map();
  for (let i = 0; i < 12; i++) {
    metrics.step();
    modelOf(await metrics.scrape(targets, agentHost), 'Telegraf inputs.prometheus', model);
  }
  return model;
}

/** What is written to each database that a data source reads. */
async function modelsByDatasource(): Promise<Map<string, WrittenModel>> {
  const byDb = new Map<string, WrittenModel>([
    [ADSL_DB, await writtenModel()],
    [TELEGRAF_DB, await telegrafModel()],
  ]);
  return new Map(
    datasources.flatMap((d) =>
      byDb.has(d.jsonData?.dbName ?? '') ? [[d.uid, byDb.get(d.jsonData!.dbName!)!] as const] : [],
    ),
  );
}

/** The name a subquery stands under in the model of the query around it. */
const SUBQUERY = '(subquery)';

/** `SELECT ... FROM (SELECT ...) ...` as its inner query and the outer one reading `"(subquery)"`. */
function splitSubquery(query: string): { inner: string; outer: string } | undefined {
  const from = /\bFROM\s*\(/i.exec(query);
  if (from === null) return undefined;
  const open = from.index + from[0].length - 1;
  let depth = 0;
  for (let i = open; i < query.length; i++) {
    if (query[i] === '(') depth++;
    else if (query[i] === ')' && --depth === 0) {
      return { inner: query.slice(open + 1, i), outer: `${query.slice(0, open)}"${SUBQUERY}"${query.slice(i + 1)}` };
    }
  }
  throw new Error(`unbalanced subquery in ${query}`);
}

/** The quoted names of a query's GROUP BY (tags; `time(...)` is not quoted). */
function groupByNames(query: string): string[] {
  const groupBy = /\bGROUP BY\b(.*?)(?:\bfill\(|\bORDER BY\b|\bLIMIT\b|$)/is.exec(query)?.[1] ?? '';
  return [...groupBy.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
}

/** The SELECTs of a query, innermost first: each with the measurement it reads and the fields it names. */
function selects(query: string): Array<{ measurement: string; fields: string[] }> {
  const sub = splitSubquery(query);
  if (sub === undefined) return [parseSelect(query)];
  return [...selects(sub.inner), parseSelect(sub.outer)];
}

/** Problems with one query against what is written; empty when every name exists. */
function queryProblems(query: string, model: WrittenModel): string[] {
  const sub = splitSubquery(query);
  if (sub !== undefined) {
    // The outer query reads the inner one's columns as fields and its GROUP BY tags as tags.
    const derived: Measurement = {
      fields: new Set(selectColumns(sub.inner)),
      tags: new Set(groupByNames(sub.inner)),
      writers: new Set([SUBQUERY]),
    };
    return [...queryProblems(sub.inner, model), ...queryProblems(sub.outer, new Map([...model, [SUBQUERY, derived]]))];
  }
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
  const problems = fields
    .filter((f) => !m.fields.has(f) && !m.tags.has(f))
    .map((f) => `${measurement} has no field ${f} (written: ${[...m.fields].join(', ')})`);
  if (fields.length > 0 && fields.every((f) => m.tags.has(f)))
    problems.push(`${measurement}: the query selects only tags, which InfluxQL answers with nothing`);
  const where = /\bWHERE\b(.*?)(?:\bGROUP BY\b|\bORDER BY\b|\bLIMIT\b|$)/is.exec(query)?.[1] ?? '';
  for (const [, name] of where.matchAll(/"([^"]+)"/g)) {
    if (!m.fields.has(name!) && !m.tags.has(name!)) problems.push(`${measurement} has no field or tag ${name}`);
  }
  for (const name of groupByNames(query))
    if (!m.tags.has(name)) problems.push(`${measurement} has no tag ${name} to group by`);
  return problems;
}

describe('Grafana provisioning', () => {
  test('the data sources are InfluxDB over InfluxQL at the sandbox influxdb service, one per database written', () => {
    assert.equal(new Set(datasources.map((d) => d.uid)).size, datasources.length, 'uids are unique');
    for (const ds of datasources) {
      assert.equal(ds.type, 'influxdb', ds.uid);
      assert.equal(ds.jsonData?.version, 'InfluxQL', ds.uid);
      const url = new URL(ds.url);
      assert.ok(compose.services.has(url.hostname), `${ds.url}: no such service`);
      assert.equal(url.hostname, 'influxdb');
      assert.equal(url.port, '8086');
    }
    assert.deepEqual(datasources.map((d) => d.jsonData?.dbName).sort(), [ADSL_DB, TELEGRAF_DB].sort());
  });

  test("the telegraf data source reads the database Telegraf writes, grouping by no less than Telegraf's interval", () => {
    assert.equal(TELEGRAF_DB, 'telegraf');
    const ds = datasourceOfDb(TELEGRAF_DB);
    // Below the scrape interval, GROUP BY time() buckets hold no point and rates have holes.
    assert.equal(ds.jsonData?.timeInterval, telegrafConf.agent?.interval);
    assert.ok(telegrafConf.agent?.interval !== undefined);
  });

  test('Grafana runs only under the grafana profile with a pinned image', () => {
    assert.deepEqual(grafana.raw['profiles'], ['grafana']);
    assert.match(grafana.image ?? '', /^grafana\/grafana:\d+\.\d+\.\d+$/);
  });

  test('the dashboard provider reads the directory the dashboard JSON is mounted in, and finds both dashboards there', () => {
    const found = dashboards();
    assert.deepEqual(found.map((d) => d.file).sort(), ['adsl-lines.json', 'kudf-operations.json']);
    for (const d of found) {
      assert.equal(typeof d.json['uid'], 'string', `${d.file}: uid`);
      assert.equal(typeof d.json['title'], 'string', `${d.file}: title`);
    }
    assert.equal(new Set(found.map((d) => d.json['uid'])).size, found.length, 'uids are unique');
  });

  test('every dashboard query uses the provisioned data source', () => {
    const uids = new Set(datasources.map((d) => d.uid));
    for (const d of dashboards()) {
      const qs = queries(d.json);
      assert.ok(qs.length > 0);
      for (const q of qs)
        assert.ok(
          q.datasource?.uid !== undefined && uids.has(q.datasource.uid),
          `${d.file} ${q.where}: data source ${JSON.stringify(q.datasource)}`,
        );
    }
  });

  test('every measurement, field and tag a dashboard query names is written to the database its data source reads', async () => {
    const models = await modelsByDatasource();
    let checked = 0;
    for (const d of dashboards()) {
      const problems = queries(d.json).flatMap((q) => {
        const model = models.get(q.datasource?.uid ?? '');
        if (model === undefined)
          return [`${d.file} ${q.where}: nothing is known to write the database of ${JSON.stringify(q.datasource)}`];
        checked++;
        return queryProblems(q.query, model).map((p) => `${d.file} ${q.where}: ${p}`);
      });
      assert.deepEqual(problems, []);
    }
    assert.ok(checked > 40, `${checked} queries checked`);
  });

  test('the query check itself rejects an unknown measurement, field, tag and group-by key', async () => {
    const model = await writtenModel();
    assert.deepEqual(
      queryProblems('SELECT mean("snr_margin_down_db") FROM "adsl_line" WHERE "host" =~ /x/ GROUP BY "host"', model),
      [],
    );
    assert.equal(queryProblems('SELECT "value" FROM "adsl_nothing"', model).length, 1);
    assert.equal(queryProblems('SELECT mean("snr_margin_dn_db") FROM "adsl_line"', model).length, 1);
    assert.equal(queryProblems('SELECT "value" FROM "adsl_connection" WHERE "router" = \'x\'', model).length, 1);
    assert.equal(queryProblems('SELECT "value" FROM "adsl_connection" GROUP BY "value"', model).length, 1);
    assert.equal(queryProblems('SHOW TAG VALUES FROM "adsl_connection" WITH KEY = "state"', model).length, 1);
    assert.deepEqual(queryProblems('SELECT "value", "host" FROM "adsl_connection"', model), []);
    assert.equal(queryProblems('SELECT "host" FROM "adsl_connection"', model).length, 1);
    // Expressions name every field they use; a subquery's outer query reads its columns and tags.
    assert.equal(queryProblems('SELECT last("line_up") / last("nope") AS "r" FROM "adsl_connection"', model).length, 1);
    const sub =
      'SELECT "r" FROM (SELECT non_negative_difference(last("value")) AS "r" FROM "adsl_connection" WHERE $timeFilter GROUP BY time(10s), "host") WHERE "r" > 0 GROUP BY "host"';
    assert.deepEqual(queryProblems(sub, model), []);
    assert.equal(queryProblems(sub.replace('SELECT "r" FROM', 'SELECT "value" FROM'), model).length, 1);
    assert.equal(queryProblems(sub.replace('WHERE "r" > 0', 'WHERE "n" > 0'), model).length, 1);
    assert.equal(queryProblems(sub.replace('GROUP BY "host"', 'GROUP BY "state"'), model).length, 1);
    assert.equal(queryProblems(sub.replace('last("value")', 'last("nope")'), model).length, 1);
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
    assert.deepEqual([...model.get('adsl_line_smoothed')!.fields].sort(), [
      'attenuation_down_db_ewma',
      'snr_margin_down_db_avg',
    ]);
  });

  test('the dashboard shows line state, state changes, SNR margin, attenuation and sync rates', async () => {
    const all = dashboards().flatMap((d) => queries(d.json).map((q) => q.query));
    const reads = (measurement: string, field: string): boolean =>
      all.some(
        (q) => !/^SHOW/i.test(q) && selects(q).some((s) => s.measurement === measurement && s.fields.includes(field)),
      );
    assert.ok(reads('adsl_connection', 'value'), 'line state');
    assert.ok(reads('adsl_connection', 'line_up'), 'line up');
    assert.ok(reads('adsl_state_changes', 'value'), 'state changes');
    for (const f of ['snr_margin_down_db', 'attenuation_down_db', 'sync_rate_down_kbps', 'sync_rate_up_kbps'])
      assert.ok(reads('adsl_line', f), f);
    const annotations = dashboards().flatMap((d) => queries(d.json).filter((q) => q.where.startsWith('annotation')));
    assert.ok(
      annotations.some((a) => parseSelect(a.query).measurement === 'adsl_state_changes'),
      'state changes as annotations',
    );
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
  if (o['type'] === 'regex' && typeof options?.['pattern'] === 'string')
    found.push({ where: `${path}.options.pattern`, pattern: options['pattern'] });
  if (o['id'] === 'byRegexp' && typeof o['options'] === 'string')
    found.push({ where: `${path}.options`, pattern: o['options'] });
  if (typeof o['regex'] === 'string' && o['regex'] !== '') found.push({ where: `${path}.regex`, pattern: o['regex'] });
  for (const [k, v] of Object.entries(o)) found.push(...dashboardRegexes(v, `${path}.${k}`));
  return found;
}

/** The value mappings of a panel, applied as Grafana does: the first mapping that matches wins. */
function mappedColor(mappings: ReadonlyArray<Record<string, unknown>>, value: string): string | undefined {
  for (const m of mappings) {
    const options = m['options'] as Record<string, unknown>;
    if (m['type'] === 'regex' && grafanaRegex(String(options['pattern'])).test(value))
      return (options['result'] as { color?: string }).color;
    if (m['type'] === 'value' && value in options) return (options[value] as { color?: string }).color;
  }
  return undefined;
}

/** The columns an InfluxQL SELECT returns: the alias, the selected name, or the function's name. */
function selectColumns(query: string): string[] {
  const list = /^\s*SELECT\s+(.+?)\s+FROM\s/is.exec(query)?.[1];
  if (list === undefined) return [];
  return splitTopLevel(list).map((item) => {
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
  for (const t of (typeof tagsColumn === 'string' ? tagsColumn : '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== ''))
    named.push(['tagsColumn', t]);
  return named
    .filter(([, c]) => !columns.has(c))
    .map(([k, c]) => `${k} "${c}" is not selected (columns: ${[...columns].join(', ')})`);
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
    const mappings =
      (panel['fieldConfig'] as { defaults?: { mappings?: Array<Record<string, unknown>> } }).defaults?.mappings ?? [];
    const colorOf: Record<string, string> = {
      showtime: 'green',
      training: 'orange',
      idle: 'red',
      down: 'red',
      error: 'red',
    };
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
    const wrong = [...seen, ...more]
      .filter(([state, cls]) => mappedColor(mappings, state) !== colorOf[cls])
      .map(([state, cls]) => `${state} (${cls}) -> ${mappedColor(mappings, state)}`);
    assert.deepEqual(wrong, []);
  });

  test("each annotation's text, title and tag columns are selected by its query", () => {
    const annotations = dashboards().flatMap((d) =>
      (((d.json['annotations'] as { list?: unknown[] } | undefined)?.list ?? []) as Array<Record<string, unknown>>)
        .filter((a) => a['builtIn'] !== 1)
        .map((a) => ({ file: d.file, a })),
    );
    assert.ok(annotations.length > 0);
    for (const { file, a } of annotations)
      assert.deepEqual(annotationColumnProblems(a), [], `${file} annotation "${String(a['name'])}"`);
    assert.ok(
      annotations.some(({ a }) => typeof a['tagsColumn'] === 'string' && a['tagsColumn'].split(',').includes('host')),
      'state changes are tagged with the router',
    );
    // The check itself: the query as it was (no "host" selected) fails it.
    assert.equal(
      annotationColumnProblems({
        query: 'SELECT "value", "prev_value" FROM "adsl_state_changes" WHERE $timeFilter',
        textColumn: 'value',
        tagsColumn: 'host',
      }).length,
      1,
    );
    assert.deepEqual(selectColumns('SELECT mean("x") AS "down", last("y"), "z" FROM "m"'), ['down', 'last', 'z']);
  });
});

describe('the host and poller dashboard', () => {
  const FILE = 'kudf-operations.json';
  const dash = (): Record<string, unknown> => {
    const d = dashboards().find((x) => x.file === FILE);
    assert.ok(d !== undefined, `${FILE} is not provisioned`);
    return d.json;
  };
  const allPanels = (panels: unknown[]): Array<Record<string, unknown>> =>
    (panels as Array<Record<string, unknown>>).flatMap((p) => [p, ...allPanels((p['panels'] ?? []) as unknown[])]);

  test("the Telegraf naming modelled here is the one Telegraf documents for metric_version 1, on prom-client's text format", async () => {
    // Go's fmt.Sprint of the bounds, as in Telegraf's own histogram example (125000, 1e+06, +Inf).
    const cases: Array<[number, string]> = [
      [0.005, '0.005'],
      [125000, '125000'],
      [1e6, '1e+06'],
      [2e6, '2e+06'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [1048576, '1.048576e+06'],
      [2.5, '2.5'],
      [1, '1'],
      [-3.5e-7, '-3.5e-07'],
      [123456.7, '123456.7'],
      [Infinity, '+Inf'],
    ];
    assert.deepEqual(
      cases.map(([x]) => goFloat(x)),
      cases.map(([, s]) => s),
    );
    const r = new Registry();
    const h = new Histogram({
      name: 'apiserver_request_latencies',
      help: 'h',
      labelNames: ['resource', 'verb'],
      buckets: [125000, 250000, 500000, 1e6, 2e6, 4e6, 8e6],
      registers: [r],
    });
    h.observe({ resource: 'bindings', verb: 'POST' }, 300000);
    new Counter({ name: 'x_requests_total', help: 'c', registers: [r] }).inc(3);
    new Gauge({ name: 'go_goroutines', help: 'g', registers: [r] }).set(21);
    const points = telegrafV1(await r.getMetricsAsJSON(), { url: 'http://example.org:9273/metrics', host: 'h' });
    const byName = new Map(points.map((p) => [p.measurement, p]));
    assert.deepEqual(Object.keys(byName.get('apiserver_request_latencies')!.fields).sort(), [
      '+Inf',
      '125000',
      '1e+06',
      '250000',
      '2e+06',
      '4e+06',
      '500000',
      '8e+06',
      'count',
      'sum',
    ]);
    assert.deepEqual(byName.get('apiserver_request_latencies')!.tags, {
      resource: 'bindings',
      verb: 'POST',
      url: 'http://example.org:9273/metrics',
      host: 'h',
    });
    assert.deepEqual(byName.get('go_goroutines')!.fields, { gauge: 21 });
    // The text format keeps a counter's family name whole; OpenMetrics would drop `_total`.
    assert.deepEqual(byName.get('x_requests_total')!.fields, { counter: 3 });
    const metrics = await sandboxMetrics();
    for (const reg of [metrics.host.registry, metrics.poller.registry])
      assert.match(reg.contentType, /^text\/plain; version=0\.0\.4/);
  });

  test('every query reads the telegraf data source', () => {
    const uid = datasourceOfDb(TELEGRAF_DB).uid;
    const qs = queries(dash());
    assert.ok(qs.length > 30);
    assert.deepEqual(
      qs.filter((q) => q.datasource?.uid !== uid).map((q) => q.where),
      [],
    );
  });

  test('every metric of kudf serve and kudf poll (beyond prom-client defaults) is on a panel', async () => {
    const model = await telegrafModel();
    const read = new Set(
      queries(dash()).flatMap((q) => (/^SHOW/i.test(q.query) ? [] : selects(q.query).map((s) => s.measurement))),
    );
    const ours = [...model.keys()].filter((m) => /^kudf_(host|poll|writer)_/.test(m) || m === 'kudf_poll_total');
    assert.ok(ours.length >= 30, ours.join(', '));
    assert.deepEqual(
      ours.filter((m) => !read.has(m)),
      [],
    );
  });

  test('the panels are in rows for the host, the poller and their processes', () => {
    const rows = ((dash()['panels'] ?? []) as Array<Record<string, unknown>>)
      .filter((p) => p['type'] === 'row')
      .map((p) => String(p['title']));
    assert.deepEqual(
      rows.map((r) => /^(Host|Poller|Processes)\b/.exec(r)?.[1]),
      ['Host', 'Poller', 'Processes'],
    );
    const ids = allPanels((dash()['panels'] ?? []) as unknown[]).map((p) => p['id']);
    assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  });

  test('the keepalive heatmap has one row per bucket of the histogram, ascending, each the count of its bucket alone', async () => {
    const model = await telegrafModel();
    const panel = allPanels((dash()['panels'] ?? []) as unknown[]).find((p) => p['type'] === 'heatmap');
    assert.ok(panel !== undefined);
    const options = panel['options'] as { calculate?: boolean; rowsFrame?: { layout?: string } };
    // The rows are the data's: Grafana neither buckets nor de-accumulates InfluxDB series.
    assert.equal(options.calculate, false);
    assert.equal(options.rowsFrame?.layout, 'le');
    const target = (panel['targets'] as Array<Record<string, unknown>>)[0]!;
    assert.equal(target['alias'], '$col');
    const bound = (b: string): number => (b === '+Inf' ? Infinity : Number(b));
    const buckets = [...model.get('kudf_host_keepalive_response_seconds')!.fields]
      .filter((f) => f !== 'sum' && f !== 'count')
      .sort((a, b) => bound(a) - bound(b));
    const query = String(target['query']);
    const outer = splitSubquery(query)!.outer;
    assert.deepEqual(selectColumns(outer), buckets);
    const items = splitTopLevel(/^\s*SELECT\s+(.+?)\s+FROM\s/is.exec(outer)![1]!);
    assert.deepEqual(
      items,
      buckets.map((b, i) => (i === 0 ? `sum("${b}") AS "${b}"` : `sum("${b}") - sum("${buckets[i - 1]}") AS "${b}"`)),
    );
  });

  describe('on a real InfluxDB, over what Telegraf writes from scrapes of the host and the poller', () => {
    let influx: Influxd;
    let metrics: SandboxMetrics;
    const STEPS = 30;
    const INTERVAL_NS = 10_000_000_000n;
    // Scrapes 1 s into aligned 10 s intervals, so that each GROUP BY time(10s) bucket holds one.
    const base = (BigInt(Math.floor(Date.now() / 10_000)) - BigInt(STEPS)) * INTERVAL_NS + 1_000_000_000n;
    let keepalivesAtFirstScrape = 0;

    before(async () => {
      influx = await Influxd.start();
      await influx.exec(`CREATE DATABASE "${TELEGRAF_DB}"`);
      metrics = await sandboxMetrics();
      const lines: string[] = [];
      for (let i = 0; i < STEPS; i++) {
        metrics.step();
        if (i === 0) keepalivesAtFirstScrape = metrics.keepalives;
        lines.push(...(await metrics.scrape(targets, agentHost)).map((p) => lineOf(p, base + BigInt(i) * INTERVAL_NS)));
      }
      const res = await fetch(`${influx.url}/write?db=${TELEGRAF_DB}`, { method: 'POST', body: lines.join('\n') });
      assert.equal(res.status, 204, await res.text());
    });

    after(async () => {
      await influx?.stop();
    });

    /** A query as Grafana sends it: the time range, a 10 s interval and the variables' values. */
    const expand = (query: string, vars: Record<string, string> = {}): string => {
      const from = Number(base / 1_000_000n) - 60_000;
      const to = Date.now() + 60_000;
      let q = query.replaceAll('$timeFilter', `time >= ${from}ms and time <= ${to}ms`).replaceAll('$__interval', '10s');
      for (const name of ['function', 'router']) q = q.replaceAll(`$${name}`, vars[name] ?? '.*');
      return q;
    };
    const values = (series: QuerySeries[]): unknown[] =>
      series.flatMap((s) => s.values.flatMap((row) => row.slice(1))).filter((v) => v !== null);

    test('every query runs and returns data', async () => {
      const problems: string[] = [];
      for (const q of queries(dash())) {
        try {
          const series = await influx.query(TELEGRAF_DB, expand(q.query));
          if (values(series).length === 0) problems.push(`${q.where}: no data`);
        } catch (err) {
          problems.push(`${q.where}: ${(err as Error).message}`);
        }
      }
      assert.deepEqual(problems, []);
    });

    test('the keepalive heatmap cells add up to the keepalives answered after the first scrape, none negative', async () => {
      const panel = allPanels((dash()['panels'] ?? []) as unknown[]).find((p) => p['type'] === 'heatmap')!;
      const series = await influx.query(
        TELEGRAF_DB,
        expand(String((panel['targets'] as Array<{ query: string }>)[0]!.query)),
      );
      const cells = values(series) as number[];
      assert.ok(
        cells.every((c) => c >= 0),
        'per-bucket counts are never negative',
      );
      assert.equal(
        cells.reduce((a, b) => a + b, 0),
        metrics.keepalives - keepalivesAtFirstScrape,
      );
    });

    test("every override's regex picks out series of its panel, named as Grafana names them from the alias", async () => {
      const problems: string[] = [];
      let overrides = 0;
      for (const panel of allPanels((dash()['panels'] ?? []) as unknown[])) {
        const regexes = (
          (panel['fieldConfig'] as { overrides?: Array<{ matcher: { id: string; options: unknown } }> } | undefined)
            ?.overrides ?? []
        )
          .filter((o) => o.matcher.id === 'byRegexp')
          .map((o) => String(o.matcher.options));
        if (regexes.length === 0) continue;
        const names: string[] = [];
        for (const t of (panel['targets'] ?? []) as Array<{ query: string; alias?: string }>) {
          for (const series of await influx.query(TELEGRAF_DB, expand(t.query))) {
            // Grafana's InfluxQL aliases: $tag_<key> is the series' tag value, $col the column.
            for (const col of series.columns.slice(1))
              names.push(
                (t.alias ?? `${series.name}.${col}`)
                  .replace(/\$tag_(\w+)/g, (_, k: string) => series.tags?.[k] ?? '')
                  .replace(/\$col/g, col),
              );
          }
        }
        for (const r of regexes) {
          overrides++;
          if (!names.some((n) => grafanaRegex(r).test(n)))
            problems.push(`panel "${String(panel['title'])}": ${r} matches none of ${names.join(', ')}`);
        }
      }
      assert.ok(overrides >= 5, `${overrides} overrides`);
      assert.deepEqual(problems, []);
    });

    test('the function variable lists the functions the host serves and narrows the panels to the ones chosen', async () => {
      const variable = (dash()['templating'] as { list: Array<Record<string, unknown>> }).list.find(
        (v) => v['name'] === 'function',
      )!;
      const listed = values(await influx.query(TELEGRAF_DB, String(variable['query']))).filter((v) => v !== 'function');
      assert.deepEqual([...listed].sort(), [...metrics.functions].sort());
      const chosen = metrics.functions[0]!;
      const sessions = queries(dash()).find((q) => q.where.startsWith('panel "Sessions active by function"'))!;
      // Grafana puts a chosen value into a regex escaped, several as (a|b).
      const series = await influx.query(
        TELEGRAF_DB,
        expand(sessions.query, { function: `(${chosen.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})` }),
      );
      assert.deepEqual(
        series.map((s) => s.tags?.['function']),
        [chosen],
      );
    });
  });
});
