/**
 * The sandbox's Telegraf (docker/telegraf/telegraf.conf): a stable hostname, the host's CPU and
 * memory, and the stack's own statistics from InfluxDB and Kapacitor, written to InfluxDB.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { hostPathOf, loadCompose, loadKapacitorConf, service } from './deploy-files.js';

const compose = loadCompose();
const telegraf = service(compose, 'telegraf');
const confFile = hostPathOf(compose, telegraf, '/etc/telegraf/telegraf.conf');
const conf = parseToml(readFileSync(confFile ?? '/nonexistent', 'utf8')) as {
  agent?: { hostname?: string; omit_hostname?: boolean };
  outputs?: { influxdb?: Array<{ urls?: string[]; database?: string }> };
  inputs?: Record<string, Array<{ urls?: string[] }>>;
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
