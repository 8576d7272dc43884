/**
 * Router web pages (the `http` transport's page kinds), read from real replies in
 * test/fixtures/adsl-web/ (sources in its README), and the wrappings a page arrives in.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { detectFamily, parseStatus, WEB_PAGE_FAMILIES } from '../../../../src/ingest/parsers/index.js';
import type { LineStatus, ParserFamily } from '../../../../src/ingest/parsers/index.js';
import { statusOf } from '../../../helpers/index.js';
import { itClaimsNoFamily } from './unclaimed.js';

// Compiled to dist/test/unit/: the fixtures stay in the source tree.
const FIXTURE_DIR = fileURLToPath(new URL('../../../../../test/fixtures/adsl-web/', import.meta.url));
const CLI_FIXTURE_DIR = fileURLToPath(new URL('../../../../../test/fixtures/adsl/', import.meta.url));

interface Fixture {
  name: string;
  family: ParserFamily;
  text: string;
  expected: LineStatus;
}

const fixtures: Fixture[] = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith('.txt'))
  .sort()
  .map((file) => {
    const name = file.replace(/\.txt$/, '');
    const family = WEB_PAGE_FAMILIES.find((f) => name.startsWith(`${f}-`));
    assert.ok(family, `fixture ${name} must start with its page kind`);
    return {
      name,
      family,
      text: readFileSync(`${FIXTURE_DIR}${file}`, 'utf8'),
      expected: JSON.parse(readFileSync(`${FIXTURE_DIR}${name}.expected.json`, 'utf8')) as LineStatus,
    };
  });

const fixture = (name: string): Fixture => {
  const f = fixtures.find((x) => x.name === name);
  assert.ok(f, name);
  return f;
};

const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

describe('real router web pages', () => {
  it('has the real samples the README lists: two or more per page kind where public ones exist', () => {
    const count = (family: ParserFamily): number => fixtures.filter((f) => f.family === family).length;
    assert.ok(count('zyxel') >= 2);
    assert.ok(count('bthub') >= 2);
    assert.ok(count('speedport') >= 1);
  });

  for (const f of fixtures) {
    it(`${f.name}: detected as ${f.family} and read to exactly the expected values`, () => {
      assert.equal(detectFamily(f.text), f.family);
      assert.deepStrictEqual({ ...statusOf(f.family, f.text) }, f.expected);
    });

    it(`${f.name}: the same with CRLF line endings`, () => {
      assert.deepStrictEqual({ ...statusOf(f.family, f.text.replace(/\n/g, '\r\n')) }, f.expected);
    });
  }
});

describe('ZyXEL xDSL Statistics page', () => {
  const vmg = fixture('zyxel-vmg1312-b10a-xdsl-statistics-1');

  it('reads the text inside the HTML page, entities decoded', () => {
    const html = [
      '<!DOCTYPE html><html><head><title>xDSL Statistics</title><script>var x = "<b>";</script></head><body>',
      '<div class="data"><textarea id="VdslInfoDisplay" readonly>',
      escapeHtml(vmg.text).replace(/ {2}/g, '&nbsp; '),
      '</textarea></div></body></html>',
    ].join('\n');
    assert.deepStrictEqual({ ...statusOf('zyxel', html) }, vmg.expected);
  });

  it('reads the text from the JSON reply of newer firmware (`[{"result": "..."}]`)', () => {
    const json = JSON.stringify([{ result: vmg.text }]);
    assert.deepStrictEqual({ ...statusOf('zyxel', json) }, vmg.expected);
  });

  it('takes the columns by the table headers, whichever comes first', () => {
    const swapped = vmg.text.replace(
      'Details       Upstream         Downstream',
      'Details       Downstream         Upstream',
    );
    const s = statusOf('zyxel', swapped);
    assert.equal(s.snr_margin_down_db, 9.5, 'the first column is now downstream');
    assert.equal(s.snr_margin_up_db, 11.6);
  });

  it('reads a line that trains: state only, no rates taken from N/A or empty rows', () => {
    const s = statusOf(
      'zyxel',
      [
        '    VDSL Training Status:   G.994 Training',
        '                    Mode:   ',
        '       VDSL Port Details       Upstream         Downstream',
        '    Actual Net Data Rate:      N/A              N/A',
      ].join('\n'),
    );
    assert.equal(s.state, 'G.994 Training');
    assert.equal(s.state_class, 'training');
    assert.equal(s.sync_rate_down_kbps, undefined);
    assert.equal(s.mode, undefined);
  });
});

describe('BT Hub status page', () => {
  it('takes no metric from a line that is down (the hub prints 0 for each)', () => {
    const s = fixture('bthub-smarthub2-wan-conn-xml-1').expected;
    assert.equal(s.line_up, false);
    assert.equal(s.sync_rate_down_kbps, undefined);
    assert.equal(s.snr_margin_down_db, undefined);
  });

  it('reads the line entry of a whole page, whatever the other entries hold', () => {
    const up = fixture('bthub-smarthub-wan-linestatus-rate-list-1');
    const page = fixture('bthub-smarthub2-wan-conn-xml-1').text.replace(
      /<wan_linestatus_rate_list[^>]*\/>/,
      up.text.trim(),
    );
    assert.deepStrictEqual({ ...statusOf('bthub', page) }, up.expected);
  });
});

describe('Speedport engineer page', () => {
  const page = fixture('speedport-w925v-dsl-hidden-status-1');

  it('reads the variables inside the whole HTML page', () => {
    const html = `<html><head><script type="text/javascript">\n${page.text}\n</script></head><body><div id="dsl"></div></body></html>`;
    assert.deepStrictEqual({ ...statusOf('speedport', html) }, page.expected);
  });

  it("names the rows by the page's own dsl_title, so a reordered page reads the same", () => {
    const reordered = page.text
      .replace("'Actual Data Rate', 'Attainable Data Rate'", "'Attainable Data Rate', 'Actual Data Rate'")
      .replace('upstream_status[0] = " 46719 Kbps"', 'upstream_status[0] = " 51562 Kbps"')
      .replace('upstream_status[1] = " 51562 Kbps"', 'upstream_status[1] = " 46719 Kbps"')
      .replace('downstream_status[0] = " 115967 Kbps"', 'downstream_status[0] = " 144451 Kbps"')
      .replace('downstream_status[1] = " 144451 Kbps"', 'downstream_status[1] = " 115967 Kbps"');
    assert.deepStrictEqual({ ...statusOf('speedport', reordered) }, page.expected);
  });

  it('classifies the Lantiq state code', () => {
    const training = page.text.replace('0x801 (showtime)', '0x300 (handshake)');
    const s = statusOf('speedport', training);
    assert.equal(s.state_class, 'training');
    assert.equal(s.line_up, false);
  });
});

describe('pages no page kind can read', () => {
  const unreadable: [string, string][] = [
    [
      'the ZyXEL login page',
      '<html><body><form id="login" method="post" action="/login/login-page.cgi"><input name="AuthName"><input type="password" name="AuthPassword"></form></body></html>',
    ],
    ['a ZyXEL session-expired reply', "<script>top.location='/login/login.html';</script>"],
    [
      'a BT Hub page without its line entry',
      '<status><sysuptime value="849301" /><wan_active_idx value="0" /></status>',
    ],
    [
      'a Speedport JSON status (varid/varvalue)',
      '[{"vartype":"value","varid":"dsl_link_status","varvalue":"online"},{"vartype":"value","varid":"dsl_downstream","varvalue":"292030"}]',
    ],
    ['an HTML page that names the labels', '<p>SNR Margin and Line Attenuation are shown on the DSL status page.</p>'],
    ['an HTTP error page', '<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1></body></html>'],
  ];
  itClaimsNoFamily(unreadable);

  it('gives no status when a page kind is forced on a CLI output, nor a CLI family on a page', () => {
    const cli = readFileSync(`${CLI_FIXTURE_DIR}broadcom-xdslctl-info-stats-1.txt`, 'utf8');
    for (const family of WEB_PAGE_FAMILIES) assert.equal(parseStatus(family, cli).ok, false, family);
    assert.equal(parseStatus('broadcom', fixture('speedport-w925v-dsl-hidden-status-1').text).ok, false);
    assert.equal(parseStatus('tr064', fixture('bthub-smarthub2-wan-conn-xml-1').text).ok, false);
  });

  it('detects every CLI fixture as its own family still (no page kind claims one)', () => {
    for (const file of readdirSync(CLI_FIXTURE_DIR).filter((f) => f.endsWith('.txt'))) {
      const detected = detectFamily(readFileSync(`${CLI_FIXTURE_DIR}${file}`, 'utf8'));
      assert.ok(detected !== undefined && !WEB_PAGE_FAMILIES.includes(detected), `${file}: ${String(detected)}`);
    }
  });
});
