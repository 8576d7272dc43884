/**
 * Technicolor / Thomson `xdsl info`: the real outputs in test/fixtures/adsl/technicolor-* (read
 * by fixtures.test.ts with every wrapping), plus what only this family needs: both forms, the
 * long form's columns, localised uptime words, text it must not claim, and that no other
 * family's fixture is taken for it nor it for another family.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { detectFamily } from '../../../../src/ingest/parsers/index.js';
import { KUDF, statusOf } from '../../../helpers/index.js';
import { itClaimsNoFamily } from './unclaimed.js';

// Compiled to dist/test/unit/: the fixtures stay in the source tree.
const FIXTURES = fileURLToPath(new URL('../../../../../test/fixtures/', import.meta.url));
const SETS = ['adsl', 'adsl-more', 'adsl-web'];

const all = SETS.flatMap((set) =>
  readdirSync(`${FIXTURES}${set}`)
    .filter((f) => f.endsWith('.txt'))
    .map((f) => ({ name: `${set}/${f}`, text: readFileSync(`${FIXTURES}${set}/${f}`, 'utf8') })),
);
const technicolor = all.filter((f) => f.name.startsWith('adsl/technicolor-'));

describe('Technicolor xdsl info', () => {
  it('has at least two real outputs, of both the short and the long form', () => {
    assert.ok(technicolor.length >= 2);
    assert.ok(technicolor.some((f) => /Bandwidth \(Down\/Up/.test(f.text)));
    assert.ok(technicolor.some((f) => /Margins \[dB\]/.test(f.text)));
  });

  it('is detected for each real output and for no fixture of another family', () => {
    for (const f of all) {
      const own = f.name.startsWith('adsl/technicolor-');
      assert.equal(detectFamily(f.text) === 'technicolor', own, f.name);
    }
  });

  it('reads the long form with undamaged columns: DS/US and near end/far end', () => {
    const text = [
      'Modem state:                       up',
      'Up time (Days hh:mm:ss):           2 days, 0:00:05',
      'xDSL Standard:                     ITU-T G.992.5 Annex A (ADSL2+)',
      'Number of reset:                   3',
      'Bearers generic info               DS           US',
      '  Payload rate [kbps]:             16383        1023',
      '  Attenuation [dB]:                25.5         12.0',
      '  Margins [dB]:                    6.1          7.9',
      '  Output power [dBm]:              18.4         12.2',
      '    Channel PM:                Near end   Far end',
      '        Code Violation (CV):         12         3',
      '        FEC:                         4567       89',
      '      Error second (ES):           7          2',
      '      Severely error second (SES): 1          0',
    ].join('\n');
    assert.deepStrictEqual(
      { ...statusOf('technicolor', text) },
      {
        state: 'up',
        state_class: 'showtime',
        line_up: true,
        mode: 'ITU-T G.992.5 Annex A (ADSL2+)',
        counters_scope: 'unknown',
        sync_rate_down_kbps: 16383,
        sync_rate_up_kbps: 1023,
        snr_margin_down_db: 6.1,
        snr_margin_up_db: 7.9,
        attenuation_down_db: 25.5,
        attenuation_up_db: 12,
        output_power_down_dbm: 18.4,
        output_power_up_dbm: 12.2,
        crc_errors_down: 12,
        crc_errors_up: 3,
        fec_errors_down: 4567,
        fec_errors_up: 89,
        es_down_s: 7,
        es_up_s: 2,
        ses_down_s: 1,
        ses_up_s: 0,
        uptime_s: 172805,
        retrain_count: 3,
      },
    );
  });

  it('takes the payload rate over the short bandwidth line, and either alone', () => {
    const both = 'Modem state: up\nBandwidth (Down/Up - kbit/s): 1000/100\nPayload rate [kbps]:  2000  200\n';
    assert.equal(statusOf('technicolor', both).sync_rate_down_kbps, 2000);
    const short = 'Modem state: up\nBandwidth (Down/Up - kbit/s): 1000/100\n';
    assert.equal(statusOf('technicolor', short).sync_rate_up_kbps, 100);
  });

  it('reads a line that is down: state only, no uptime', () => {
    const s = statusOf(
      'technicolor',
      'Modem state:  down\nUp time (Days hh:mm:ss):  0 days, 0:00:00\nxDSL Type:  ADSL2+\n',
    );
    assert.equal(s.state_class, 'down');
    assert.equal(s.line_up, false);
    assert.equal(s.uptime_s, undefined);
  });

  it('classifies the modem states', () => {
    const cases: [string, string][] = [
      ['up', 'showtime'],
      ['initializing', 'training'],
      ['training', 'training'],
      ['idle', 'idle'],
      ['down', 'down'],
      ['disabled', 'down'],
    ];
    for (const [state, cls] of cases)
      assert.equal(statusOf('technicolor', `Modem state: ${state}\nxDSL Type: ADSL\n`).state_class, cls, state);
  });

  const unreadable: [string, string][] = [
    ['a state line alone', 'Modem state:                       up\n'],
    ['labels without values', 'Modem state:\nUp time (Days hh:mm:ss):\nxDSL Type:\nBandwidth (Down/Up - kbit/s):\n'],
    [
      'the CLI help of the xdsl group',
      'Following commands are available :\n\ninfo             : Display xDSL info.\nconfig           : Display/modify xDSL config.\n',
    ],
    ['the web page form (Up/Down, dotted thousands)', 'Bandwidth (Up/Down) [kbps/kbps]:856 / 13.801\n'],
    ['a command error', "{Administrator}=>xdsl inf\nUnknown command 'inf'\n"],
  ];
  itClaimsNoFamily(unreadable);

  it('kudf parse --family auto picks the family, and says it cannot tell for text it cannot read', () => {
    const file = `${FIXTURES}adsl/technicolor-tg788vn-xdsl-info-1.txt`;
    const ok = spawnSync(process.execPath, [KUDF, 'parse', '--family', 'auto', file], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    const parsed = JSON.parse(ok.stdout) as { ok: boolean; family: string; status: { sync_rate_down_kbps: number } };
    assert.equal(parsed.family, 'technicolor');
    assert.equal(parsed.status.sync_rate_down_kbps, 49999);
    const bad = spawnSync(process.execPath, [KUDF, 'parse', '-'], { encoding: 'utf8', input: 'Modem state: up\n' });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /family could not be detected/);
  });
});
