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
  const problems = fields.filter((f) => !m.fields.has(f)).map((f) => `${measurement} has no field ${f} (written: ${[...m.fields].join(', ')})`);
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
