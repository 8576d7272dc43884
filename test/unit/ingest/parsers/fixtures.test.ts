import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import {
  detectFamily,
  LINE_METRIC_KEYS,
  PARSER_FAMILIES,
  parseStatus,
  WEB_PAGE_FAMILIES,
} from '../../../../src/ingest/parsers/index.js';
import type { LineStatus, ParserFamily } from '../../../../src/ingest/parsers/index.js';

// Compiled to dist/test/unit/: the fixtures stay in the source tree.
const FIXTURE_DIR = fileURLToPath(new URL('../../../../../test/fixtures/adsl/', import.meta.url));

// Fixture names start with the vendor; these vendors' outputs belong to another family.
const VENDOR_ALIASES: Readonly<Record<string, ParserFamily>> = {
  avm: 'tr064',
  fritzbox: 'tr064',
  openwrt: 'ubus',
  trendchip: 'mediatek',
  tc3162: 'mediatek',
  zynos: 'mediatek',
};

function familyOf(fixture: string): ParserFamily {
  const parts = fixture.toLowerCase().split(/[-_.]/);
  const direct = PARSER_FAMILIES.find((f) => parts.includes(f));
  const alias = parts.map((p) => VENDOR_ALIASES[p]).find((f) => f !== undefined);
  const family = direct ?? alias;
  assert.ok(family, `cannot tell the family of fixture ${fixture} from its name`);
  return family;
}

// What the operator typed, echoed back by the device, per family.
const COMMANDS: Readonly<Record<ParserFamily, string>> = {
  broadcom: 'xdslctl info --stats',
  realtek: 'show adsl',
  draytek: 'vdsl status more',
  lantiq: '/etc/init.d/dsl_control status',
  mediatek: 'cat /proc/tc3162/adsl_stats',
  cisco: 'show dsl interface atm0',
  tr064: 'curl -s http://fritz.box:49000/upnp/control/wandslifconfig1',
  ubus: 'ubus call dsl metrics',
  // Web pages are fetched, not typed; their fixtures are in ../adsl-web/.
  zyxel: 'curl -sk https://192.168.1.1/pages/systemMonitoring/xdslStatistics/GetxdslStatistics.html',
  bthub: 'curl -s http://192.168.1.254/nonAuth/wan_conn.xml',
  speedport: 'curl -s http://speedport.ip/engineer/html/dsl_hidden_status.stm',
  technicolor: 'xdsl info expand=enabled',
};

const PROMPTS = ['root@router:~# ', '> ', 'ATP>', 'Vigor> ', '$ ', 'router#'];

const PAGERS = [
  '--More--',
  ' -- More -- ',
  '\x1b[7m--More--\x1b[27m\r\x1b[K',
  ' --More-- \b\b\b\b\b\b\b\b\b\b          \b\b\b\b\b\b\b\b\b\b',
];

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
    return {
      name,
      family: familyOf(name),
      text: readFileSync(`${FIXTURE_DIR}${file}`, 'utf8'),
      expected: JSON.parse(readFileSync(`${FIXTURE_DIR}${name}.expected.json`, 'utf8')) as LineStatus,
    };
  });

function assertParsesTo(
  text: string,
  family: ParserFamily | 'auto',
  expected: LineStatus,
  resultFamily: ParserFamily,
): void {
  const outcome = parseStatus(family, text);
  assert.ok(outcome.ok, `expected a status, got: ${outcome.ok ? '' : outcome.reason}`);
  assert.equal(outcome.family, resultFamily);
  assert.deepStrictEqual(outcome.status, expected);
}

// Pager residue as real pagers leave it: alone on a line, or erased in front of the next line.
function withPagers(text: string): string {
  return text
    .split('\n')
    .map((line, i) => {
      const pager = PAGERS[i % PAGERS.length] ?? '--More--';
      if (i % 4 !== 3) return line;
      return i % 8 === 3 ? `${pager}\n${line}` : `${pager}${line}`;
    })
    .join('\n');
}

describe('fixture outputs', () => {
  it('finds at least one fixture per family the README lists', () => {
    assert.ok(fixtures.length >= 14);
    for (const family of PARSER_FAMILIES.filter((f) => !WEB_PAGE_FAMILIES.includes(f)))
      assert.ok(
        fixtures.some((f) => f.family === family),
        family,
      );
  });

  for (const fx of fixtures) {
    describe(fx.name, () => {
      it('parses with auto-detection to exactly the expected fields', () => {
        assertParsesTo(fx.text, 'auto', fx.expected, fx.family);
      });

      it('parses with its family named explicitly to exactly the expected fields', () => {
        assertParsesTo(fx.text, fx.family, fx.expected, fx.family);
      });

      it('is detected as its own family', () => {
        assert.equal(detectFamily(fx.text), fx.family);
      });

      it('writes integer metrics as integers', () => {
        const outcome = parseStatus('auto', fx.text);
        assert.ok(outcome.ok);
        for (const [key, value] of Object.entries(outcome.status)) {
          const kind = (LINE_METRIC_KEYS as Record<string, string>)[key];
          if (kind === 'int') assert.ok(Number.isInteger(value), `${key}=${String(value)}`);
        }
      });

      it('gives the same result with CRLF line endings', () => {
        assertParsesTo(fx.text.replace(/\n/g, '\r\n'), 'auto', fx.expected, fx.family);
      });

      it('gives the same result with an echoed command and shell prompts around it', () => {
        for (const prompt of PROMPTS) {
          const text = `${prompt}${COMMANDS[fx.family]}\n${fx.text.replace(/\n?$/, '\n')}${prompt}`;
          assertParsesTo(text, 'auto', fx.expected, fx.family);
          assertParsesTo(text.replace(/\n/g, '\r\n'), fx.family, fx.expected, fx.family);
        }
      });

      it('gives the same result with pager prompts inserted', () => {
        assertParsesTo(withPagers(fx.text), 'auto', fx.expected, fx.family);
        assertParsesTo(withPagers(fx.text).replace(/\n/g, '\r\n'), 'auto', fx.expected, fx.family);
      });

      it('gives the same result with extra blank lines and trailing spaces', () => {
        const text = `\n\n${fx.text
          .split('\n')
          .map((l) => `${l}  `)
          .join('\n\n')}\n\n`;
        assertParsesTo(text, 'auto', fx.expected, fx.family);
      });

      it('gives the same result whether columns are separated by tabs or spaces', () => {
        assertParsesTo(fx.text.replace(/ {2,}/g, '\t'), 'auto', fx.expected, fx.family);
        assertParsesTo(fx.text.replace(/\t/g, '        '), 'auto', fx.expected, fx.family);
      });
    });
  }
});

describe('parse issues', () => {
  const families: (ParserFamily | 'auto')[] = ['auto', ...PARSER_FAMILIES];

  it('reports empty output as a parse issue with a reason for every family', () => {
    for (const family of families) {
      for (const text of ['', '\n\n', '   \r\n', 'root@router:~# ', '--More--\n> ']) {
        const outcome = parseStatus(family, text);
        assert.equal(outcome.ok, false);
        assert.ok(!outcome.ok && outcome.reason.length > 0);
        assert.equal(outcome.family, family);
      }
    }
  });

  it('reports garbage and command errors as parse issues', () => {
    for (const text of [
      'hello world',
      'sh: xdslctl: not found',
      "% Invalid input detected at '^' marker.",
      'Status: \nMode:\n',
      '{"foo": [1, 2',
      '\x00\x01\x02\xff\xfe binary',
    ]) {
      const outcome = parseStatus('auto', text);
      assert.equal(outcome.ok, false, text);
    }
  });

  it("reports another family's output as a parse issue when the family is forced", () => {
    const cisco = fixtures.find((f) => f.family === 'cisco');
    assert.ok(cisco);
    const outcome = parseStatus('tr064', cisco.text);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.family, 'tr064');
  });

  it('reports a TR-064 SOAP fault with its error code', () => {
    const fault = [
      '<?xml version="1.0"?>',
      '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">',
      '<s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring>',
      '<detail><UPnPError xmlns="urn:dslforum-org:control-1-0"><errorCode>401</errorCode>',
      '<errorDescription>Invalid Action</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>',
    ].join('\n');
    const outcome = parseStatus('tr064', fault);
    assert.equal(outcome.ok, false);
    assert.match(outcome.ok ? '' : outcome.reason, /401.*Invalid Action/);
  });

  it('never throws on random text, binary noise or scrambled fixture lines', () => {
    const fixtureLines = fixtures.flatMap((f) => f.text.split('\n'));
    const anyText = fc.oneof(
      fc.string({ maxLength: 400 }),
      fc.string({ unit: 'binary', maxLength: 400 }),
      fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
      fc.array(fc.constantFrom(...fixtureLines), { maxLength: 30 }).map((ls) => ls.join('\n')),
      fc
        .tuple(fc.constantFrom(...fixtures.map((f) => f.text)), fc.nat(), fc.nat())
        .map(([t, a, b]) => t.slice(Math.min(a, b) % (t.length + 1), Math.max(a, b) % (t.length + 1))),
    );
    fc.assert(
      fc.property(anyText, fc.constantFrom<ParserFamily | 'auto'>('auto', ...PARSER_FAMILIES), (text, family) => {
        const outcome = parseStatus(family, text);
        if (!outcome.ok) {
          assert.ok(outcome.reason.length > 0);
          return;
        }
        const s = outcome.status;
        assert.ok(Object.keys(s).length > 0);
        for (const [key, value] of Object.entries(s)) {
          assert.notEqual(value, null, key);
          const kind = (LINE_METRIC_KEYS as Record<string, string>)[key];
          if (kind === 'int') assert.ok(Number.isInteger(value), `${key}=${String(value)}`);
          if (kind === 'float') assert.ok(Number.isFinite(value), `${key}=${String(value)}`);
        }
        if (s.state_class !== undefined) assert.equal(s.line_up, s.state_class === 'showtime');
        if (s.line_up === false) assert.equal(s.uptime_s, undefined);
      }),
      { numRuns: 500 },
    );
  });

  it('leaves detectFamily undefined for text of no known family', () => {
    assert.equal(detectFamily(''), undefined);
    assert.equal(detectFamily('lorem ipsum\ndolor: sit amet'), undefined);
  });
});
