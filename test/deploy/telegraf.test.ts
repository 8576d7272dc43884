/**
 * The sandbox's Telegraf (docker/telegraf/telegraf.conf): a stable hostname, the host's CPU and
 * memory, and the stack's own statistics from InfluxDB and Kapacitor, written to InfluxDB.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { hostPathOf, loadCompose, loadKapacitorConf, service } from './deploy-files.js';
import { scrapeTargets } from './telegraf-model.js';

const compose = loadCompose();
const telegraf = service(compose, 'telegraf');
const confFile = hostPathOf(compose, telegraf, '/etc/telegraf/telegraf.conf');
const conf = parseToml(readFileSync(confFile ?? '/nonexistent', 'utf8')) as {
  agent?: { hostname?: string; omit_hostname?: boolean };
  outputs?: { influxdb?: Array<{ urls?: string[]; database?: string }> };
  inputs?: Record<string, Array<{ urls?: string[]; metric_version?: number }>>;
};

/** The compose service and port a URL names, checked to exist. */
function serviceOf(url: string): { name: string; port: string } {
  const u = new URL(url);
  assert.ok(compose.services.has(u.hostname), `${url}: no service ${u.hostname}`);
  return { name: u.hostname, port: u.port };
}

describe('Telegraf in the sandbox', () => {
  test('its config is mounted and sets a hostname, so points carry a stable host tag', () => {
    assert.ok(confFile !== undefined, 'telegraf.conf is mounted');
    assert.equal(typeof conf.agent?.hostname, 'string');
    assert.notEqual(conf.agent?.hostname, '');
    assert.notEqual(conf.agent?.omit_hostname, true);
  });

  test('it writes to the sandbox InfluxDB', () => {
    const out = conf.outputs?.influxdb ?? [];
    assert.equal(out.length, 1);
    for (const url of out[0]!.urls ?? []) assert.deepEqual(serviceOf(url), { name: 'influxdb', port: '8086' });
    assert.equal(typeof out[0]!.database, 'string');
  });

  test("it collects InfluxDB's and Kapacitor's own statistics from their /debug/vars", () => {
    const influx = conf.inputs?.['influxdb'] ?? [];
    assert.equal(influx.length, 1);
    const iu = new URL(influx[0]!.urls![0]!);
    assert.deepEqual(serviceOf(iu.href), { name: 'influxdb', port: '8086' });
    assert.equal(iu.pathname, '/debug/vars');

    const kap = conf.inputs?.['kapacitor'] ?? [];
    assert.equal(kap.length, 1);
    const ku = new URL(kap[0]!.urls![0]!);
    const bind = String((loadKapacitorConf()['http'] as { 'bind-address'?: string })['bind-address']);
    assert.deepEqual(serviceOf(ku.href), { name: 'kapacitor', port: bind.split(':').at(-1) });
    assert.equal(ku.pathname, '/kapacitor/v1/debug/vars');
  });

  test('it keeps the host CPU and memory inputs', () => {
    for (const input of ['cpu', 'mem', 'system']) assert.ok(conf.inputs?.[input] !== undefined, input);
  });
});

describe('Telegraf scrapes the host and the poller', () => {
  test('inputs.prometheus reads /metrics of every service running kudf serve or kudf poll, at the --http port its command gives', () => {
    const prom = conf.inputs?.['prometheus'] ?? [];
    assert.equal(prom.length, 1);
    const urls = (prom[0]!.urls ?? []).map((u) => new URL(u));
    const ours = [...compose.services.values()].filter(
      (s) => s.build !== undefined && ['serve', 'poll'].includes((s.command ?? ['serve'])[0]!),
    );
    assert.ok(ours.length >= 2);
    for (const svc of ours) {
      const args = svc.command ?? [];
      const at = args[args.indexOf('--http') + 1];
      assert.ok(args.includes('--http') && at !== undefined, `${svc.name}: no --http`);
      // Inside the container: every address, or Telegraf (another container) cannot reach it.
      assert.match(at, /^0\.0\.0\.0:\d+$/, `${svc.name}: --http ${at}`);
      const port = at.split(':')[1];
      assert.ok(
        urls.some((u) => u.hostname === svc.name && u.port === port && u.pathname === '/metrics'),
        `${svc.name}:${port}/metrics is not scraped`,
      );
      assert.equal(svc.raw['ports'], undefined, `${svc.name}: the metrics port must not be published`);
    }
  });

  test('every URL it scrapes is the /metrics of a kudf serve or kudf poll service, each once', () => {
    const targets = scrapeTargets(compose, conf);
    assert.deepEqual(targets.map((t) => t.command).sort(), ['poll', 'serve']);
    assert.equal(new Set(targets.map((t) => t.url)).size, targets.length);
    for (const t of targets) assert.equal(new URL(t.url).pathname, '/metrics', t.url);
  });

  test('it maps metrics with metric_version 1, the measurement and field names the host and poller dashboard reads', () => {
    // Unset means 1 in inputs.prometheus: measurement = metric family, fields counter/gauge and
    // one per histogram bucket. Version 2 writes everything into a `prometheus` measurement.
    for (const input of conf.inputs?.['prometheus'] ?? [])
      assert.ok(
        input.metric_version === undefined || input.metric_version === 1,
        `metric_version = ${input.metric_version}`,
      );
  });
});
