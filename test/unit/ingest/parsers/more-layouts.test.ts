/**
 * Layouts other firmware and tools print, read from real outputs in test/fixtures/adsl-more/
 * (sources in its README) and from inputs written to each format's rules.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { detectFamily, PARSER_FAMILIES } from '../../../../src/ingest/parsers/index.js';
import type { LineStatus } from '../../../../src/ingest/parsers/index.js';
import { statusOf } from '../../../helpers/index.js';
import { itClaimsNoFamily } from './unclaimed.js';

// Compiled to dist/test/unit/: the fixtures stay in the source tree.
const FIXTURE_DIR = fileURLToPath(new URL('../../../../../test/fixtures/adsl-more/', import.meta.url));

const fixtures = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .map((file) => {
    const name = file.replace(/\.txt$/, '');
    const family = PARSER_FAMILIES.find((f) => name.startsWith(`${f}-`));
    assert.ok(family, `fixture ${name} must start with its family`);
    return {
      name,
      family,
      text: readFileSync(`${FIXTURE_DIR}${file}`, 'utf8'),
      expected: JSON.parse(readFileSync(`${FIXTURE_DIR}${name}.expected.json`, 'utf8')) as LineStatus,
    };
  });

describe('real outputs of further layouts', () => {
  it('has at least two real outputs for each new layout', () => {
    const count = (prefix: string): number => fixtures.filter((f) => f.name.startsWith(prefix)).length;
    assert.ok(count('tr064-') >= 2, 'TR-064 as other tools print it');
    assert.ok(count('ubus-iopsys-') >= 2, 'iopsys ubus');
  });

  for (const f of fixtures) {
    it(`${f.name}: detected as ${f.family} and read to exactly the expected values`, () => {
      assert.equal(detectFamily(f.text), f.family);
      assert.deepStrictEqual({ ...statusOf(f.family, f.text) }, f.expected);
    });
  }
});

describe('Broadcom without the `xdslcmd:` / `adsl:` header prefix', () => {
  it('detects a bare header line as Broadcom', () => {
    const text = [
      'ADSL driver and PHY status',
      'Status: Showtime',
      'Bearer: 0, Upstream rate = 1000 Kbps, Downstream rate = 8000 Kbps',
    ].join('\n');
    const s = statusOf('broadcom', text);
    assert.equal(s.sync_rate_down_kbps, 8000);
    assert.equal(s.sync_rate_up_kbps, 1000);
  });

  it('detects a training state with no header at all, as `xdslcmd info --state` prints it while training', () => {
    for (const state of [
      'G.994 Training',
      'G.992 Started',
      'G.993 Started',
      'G.992 Channel Analysis',
      'G.992 Message Exchange',
    ]) {
      const s = statusOf('broadcom', `Status: ${state}\nRetrain Reason: 0\n`);
      assert.equal(s.state, state);
      assert.equal(s.state_class, 'training');
      assert.equal(s.line_up, false);
    }
  });

  it('reads an idle line with `Last Retrain Reason` as Broadcom idle', () => {
    const s = statusOf('broadcom', 'Status: Idle\nLast Retrain Reason:\t0\nLast initialization procedure status:\t0\n');
    assert.equal(s.state_class, 'idle');
  });
});

describe('TrendChip `wan adsl shownoise`', () => {
  it('reads the labels with tab or space padding and units in either case', () => {
    const text = [
      'Noise Margin (Upstream)\t: 6.0 dB',
      'Noise Margin (Downstream)\t: 9.5 DB',
      'Attenuation (Upstream)\t: 3.1 db',
      'Attenuation (Downstream)\t: 12 db',
    ].join('\r\n');
    assert.deepStrictEqual(
      { ...statusOf('mediatek', text) },
      {
        snr_margin_down_db: 9.5,
        snr_margin_up_db: 6,
        attenuation_down_db: 12,
        attenuation_up_db: 3.1,
      },
    );
  });
});

describe('TR-064 arguments as PHP print_r prints them', () => {
  it('reads GetStatisticsTotal counters and a non-up state', () => {
    const text = [
      'Array',
      '(',
      '    [NewStatus] => NoSignal',
      '    [NewCRCErrors] => 12',
      '    [NewATUCCRCErrors] => 3',
      '    [NewFECErrors] => 400',
      '    [NewATUCFECErrors] => 5',
      ')',
    ].join('\n');
    assert.deepStrictEqual(
      { ...statusOf('tr064', text) },
      {
        state: 'NoSignal',
        state_class: 'down',
        line_up: false,
        counters_scope: 'unknown',
        crc_errors_down: 12,
        crc_errors_up: 3,
        fec_errors_down: 400,
        fec_errors_up: 5,
      },
    );
  });
});

describe('iopsys `ubus call dsl.line.N status`', () => {
  it('keys the class on link_status, so a line still training is not up', () => {
    const text = JSON.stringify(
      {
        status: 'down',
        link_status: 'establishinglink',
        standard_used: 'adsl2p_annexb',
        noise_margin: { us: 60, ds: 85 },
      },
      null,
      '\t',
    );
    assert.deepStrictEqual(
      { ...statusOf('ubus', text) },
      {
        state: 'establishinglink',
        state_class: 'training',
        line_up: false,
        mode: 'adsl2p_annexb',
        snr_margin_down_db: 8.5,
        snr_margin_up_db: 6,
      },
    );
  });

  it('falls back to the interface status when the link status is missing', () => {
    const s = statusOf(
      'ubus',
      JSON.stringify({ line: [{ id: 0, status: 'down', attenuation: { us: 100, ds: 200 } }] }),
    );
    assert.equal(s.state_class, 'down');
    assert.equal(s.attenuation_down_db, 20);
  });
});

describe('auto-detection says unknown for text it cannot read', () => {
  const unreadable: [string, string][] = [
    ['a lone status word', 'Status: up\n'],
    ['a lone noise margin with another label style', 'Noise margin = 7.5 dB\n'],
    ['JSON of another program', '{"status": "up", "uptime": "3 days", "link": "eth0"}'],
    [
      'a print_r of other arguments',
      'Array\n(\n    [NewExternalIPAddress] => 192.0.2.1\n    [NewConnectionStatus] => Connected\n)\n',
    ],
    ['prose that mentions the labels', 'The retrain reason and the noise margin are shown on the status page.\n'],
  ];
  itClaimsNoFamily(unreadable);

  it('names no family that is not a parser family', () => {
    for (const f of fixtures) assert.ok(PARSER_FAMILIES.includes(f.family));
  });
});
