/**
 * The sandbox's line-state alert (tickscripts/adsl_state_changes.tick), end to end short of
 * Kapacitor: each family's status output goes through its parser and the poller's point
 * builder, the adsl_connection points through edgeDetect with the script's own options, and
 * the emitted points through the script's own crit lambda.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { statusToPoints } from '../../src/ingest/index.js';
import { parseStatus } from '../../src/ingest/parsers/index.js';
import type { ParserFamily } from '../../src/ingest/parsers/index.js';
import type { InitOption, Point } from '../../src/protocol/index.js';
import { edgeDetect } from '../../udfs/index.js';
import { Harness, o, pt, evalLambda, lambdaOf } from '../helpers/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const script = readFileSync(`${repoRoot}tickscripts/adsl_state_changes.tick`, 'utf8');
const crit = lambdaOf(script, 'crit');

/** The `@edgeDetect()` node's options as the script gives them (string options only). */
function edgeOptions(): InitOption[] {
  const node = /@edgeDetect\(\)((?:\s*\.\w+\('[^']*'\))*)/.exec(script)?.[1];
  assert.ok(node !== undefined, 'the script calls @edgeDetect()');
  return [...node.matchAll(/\.(\w+)\('([^']*)'\)/g)].map((m) => o.str(m[1] ?? '', m[2] ?? ''));
}

// One output per family and state, in the family's own layout.
const broadcom = (s: string): string => `xdslctl: ADSL driver and PHY status\nStatus: ${s}\nLast Retrain Reason:\t0\n`;
const lantiq = (s: string, code: string, detail: string): string =>
  `Chipset:\t\t\tLantiq-VRX200\nLine State:\t\t\t${s} [${code}: ${detail}]\n`;
const draytek = (s: string): string =>
  `  ---------------------- ATU-R Info (hw: annex A, f/w: annex A/B/C) -----------\n   Running Mode            :      17A       State                : ${s}\n`;
const cisco = (s: string): string =>
  `ATM0\nAlcatel 20190 chipset information\n         ATU-R (DS)            ATU-C (US)\nModem Status:     ${s}\n`;
const mediatek = (s: string): string => `ADSL link status: ${s}\nnoise margin downstream: 9.1 db\n`;
const realtek = (s: string): string => `Adsl Line Status        ${s}\nAdsl Mode               G.DMT\n`;
const tr064 = (s: string): string =>
  `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><u:GetInfoResponse xmlns:u="urn:dslforum-org:service:WANDSLInterfaceConfig:1">\n<NewStatus>${s}</NewStatus>\n</u:GetInfoResponse></s:Body></s:Envelope>`;
const ubus = (s: string, up: boolean): string => JSON.stringify({ state: s, up }, null, '\t');
const iopsys = (s: string): string =>
  JSON.stringify({ line: [{ id: 0, status: s === 'up' ? 'up' : 'down', link_status: s }] }, null, '\t');

interface Case {
  family: ParserFamily;
  label: string;
  showtime: string;
  /** Outputs of states that must raise the alert. */
  alerting: string[];
  /** Outputs of other non-showtime states that must not. */
  quiet: string[];
}

const CASES: Case[] = [
  {
    family: 'broadcom',
    label: 'Broadcom',
    showtime: broadcom('Showtime'),
    alerting: [broadcom('G.994 Training'), broadcom('G.992 Started'), broadcom('G.993 Channel Analysis')],
    quiet: [broadcom('Idle')],
  },
  {
    family: 'lantiq',
    label: 'Lantiq',
    showtime: lantiq('UP', '0x801', 'showtime_tc_sync'),
    alerting: [lantiq('DOWN', '0x300', 'handshake'), lantiq('DOWN', '0x200', 'silent')],
    quiet: [lantiq('DOWN', '0x100', 'idle')],
  },
  {
    family: 'draytek',
    label: 'DrayTek',
    showtime: draytek('SHOWTIME'),
    alerting: [draytek('TRAINING')],
    quiet: [draytek('READY')],
  },
  {
    family: 'cisco',
    label: 'Cisco',
    showtime: cisco('Showtime (DMTDSL_SHOWTIME)'),
    alerting: [cisco('Training (DMTDSL_TRAINING)'), cisco('Down')],
    quiet: [],
  },
  {
    family: 'mediatek',
    label: 'TrendChip/MediaTek',
    showtime: mediatek('up'),
    alerting: [mediatek('initializing'), mediatek('down')],
    quiet: [mediatek('wait for initialization')],
  },
  {
    family: 'realtek',
    label: 'Realtek',
    showtime: realtek('SHOWTIME.'),
    alerting: [realtek('ACTIVATING.')],
    quiet: [realtek('IDLE.')],
  },
  {
    family: 'tr064',
    label: 'TR-064',
    showtime: tr064('Up'),
    alerting: [tr064('EstablishingLink'), tr064('NoSignal')],
    quiet: [],
  },
  {
    family: 'ubus',
    label: 'OpenWrt ubus',
    showtime: ubus('Showtime with TC-Layer sync', true),
    alerting: [ubus('Training', false), ubus('Silent', false)],
    quiet: [ubus('Idle', false)],
  },
  {
    family: 'ubus',
    label: 'iopsys ubus',
    showtime: iopsys('up'),
    alerting: [iopsys('establishinglink'), iopsys('nosignal')],
    quiet: [],
  },
];

/** The adsl_connection point the poller writes for this output, as Kapacitor streams it to edgeDetect. */
function connectionPoint(family: ParserFamily, text: string, seconds: number): Point {
  const parsed = parseStatus('auto', text);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  assert.equal(parsed.family, family);
  const built = statusToPoints(parsed.status, { host: 'dsl-1', tags: {}, time: BigInt(seconds) * 1_000_000_000n });
  const conn = built.points.find((p) => p.measurement === 'adsl_connection');
  assert.ok(conn, 'an adsl_connection point');
  return pt({ time: seconds, name: 'adsl_connection', group: 'host=dsl-1', tags: conn.tags, fields: conn.fields });
}

describe('adsl_state_changes.tick alert', () => {
  it('keys its crit condition on state_class', () => {
    assert.match(crit, /"state_class"/);
  });

  for (const c of CASES) {
    it(`${c.label}: raises on each training or down state after showtime and clears on the way back`, () => {
      for (const text of c.alerting) {
        const points = [
          connectionPoint(c.family, c.showtime, 10),
          connectionPoint(c.family, text, 20),
          connectionPoint(c.family, c.showtime, 30),
        ];
        const out = new Harness(edgeDetect).start(edgeOptions()).feed(points);
        assert.equal(out.length, 3, 'each change is emitted');
        assert.deepEqual(
          out.map((p) => evalLambda(crit, p.fields)),
          [false, true, false],
          `states: ${out.map((p) => String(p.fields.value)).join(' -> ')}`,
        );
        assert.equal(out[1]?.fields.prev_value, points[0]?.fields.value);
      }
    });

    if (c.quiet.length > 0) {
      it(`${c.label}: stays quiet for an idle line`, () => {
        for (const text of c.quiet) {
          const out = new Harness(edgeDetect)
            .start(edgeOptions())
            .feed([connectionPoint(c.family, c.showtime, 10), connectionPoint(c.family, text, 20)]);
          assert.equal(out.length, 2);
          assert.equal(evalLambda(crit, out[1]?.fields ?? {}), false, String(out[1]?.fields.value));
        }
      });
    }
  }

  it('catches what a condition on the printed state text missed', () => {
    const training = connectionPoint('broadcom', broadcom('G.994 Training'), 10);
    assert.equal(evalLambda(`"value" == 'TRAINING'`, training.fields), false);
    assert.equal(evalLambda(crit, training.fields), true);
  });
});

describe('the lambda evaluator used above', () => {
  it('evaluates comparisons, AND, OR, NOT and parentheses, and rejects what it cannot read', () => {
    const f = { a: 'x', b: 2, c: true };
    assert.equal(evalLambda(`"a" == 'x' AND "b" == 2`, f), true);
    assert.equal(evalLambda(`"a" != 'x' OR ("c" == TRUE AND NOT ("b" == 3))`, f), true);
    assert.equal(evalLambda(`"a" == 'y'`, f), false);
    assert.throws(() => evalLambda(`"b" > 1`, f), /cannot read|unexpected/);
    assert.throws(() => evalLambda(`"a"`, f), /not a boolean/);
  });
});
