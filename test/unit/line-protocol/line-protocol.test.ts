import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatLine,
  formatLines,
  LineProtocolError,
  parseLine,
  parseLineProtocol,
  type LinePoint,
} from '../../../src/line-protocol/index.js';

// Compiled tests run from dist/test/unit, sources from test/unit: try both.
function fixture(rel: string): string {
  for (const base of ['../../fixtures/', '../../../../test/fixtures/']) {
    try {
      return readFileSync(fileURLToPath(new URL(base + rel, import.meta.url)), 'utf8');
    } catch {
      // next candidate
    }
  }
  throw new Error(`fixture ${rel} not found`);
}

function rec<T>(o: Record<string, T>): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, o);
}

function point(
  measurement: string,
  tags: Record<string, string>,
  fields: LinePoint['fields'],
  time?: bigint,
): LinePoint {
  const p: LinePoint = { measurement, tags: rec(tags), fields: rec(fields) };
  if (time !== undefined) p.time = time;
  return p;
}

function lpError(line: number | undefined, message?: RegExp): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof LineProtocolError, `expected LineProtocolError, got ${String(e)}`);
    assert.equal(e.name, 'LineProtocolError');
    assert.equal(e.line, line);
    assert.equal(e.code, line === undefined ? 'KUDF_LP_UNFORMATTABLE' : 'KUDF_LP_INVALID');
    if (message) assert.match(e.message, message);
    return true;
  };
}

describe('line protocol parsing', () => {
  it('parses the adsl_connection fixture into 17 points with exact nanosecond times', () => {
    const points = parseLineProtocol(fixture('edge/adsl_connection.input.lp'));
    assert.equal(points.length, 17);
    assert.deepStrictEqual(
      points[0],
      point('adsl_connection', { host: 'router1' }, { value: 'SHOWTIME' }, 1514979051065000000n),
    );
    assert.equal(points[1]?.fields['value'], 'TRAINING');
    assert.equal(points[16]?.time, 1514980491000000000n);
    for (const p of points) assert.equal(typeof p.time, 'bigint');
  });

  it('parses every field value type', () => {
    const p = parseLine(
      'm f1=1.5,f2=-3i,f3=18446744073709551615u,f4="hi",f5=t,f6=FALSE,f7=1e3,f8=-2.5E-3,f9=7,f10=.5,f11=True',
    );
    assert.deepStrictEqual(
      p.fields,
      rec<number | bigint | string | boolean>({
        f1: 1.5,
        f2: -3n,
        f3: 18446744073709551615n,
        f4: 'hi',
        f5: true,
        f6: false,
        f7: 1000,
        f8: -0.0025,
        f9: 7,
        f10: 0.5,
        f11: true,
      }),
    );
    assert.equal(p.time, undefined);
    assert.equal('time' in p, false);
  });

  it('undoes every escape and keeps other backslashes literal', () => {
    const p = parseLine(
      String.raw`my\ meas\,ure=x,t\ a\=g\,=v\ a\=l\,\\ f\=i\,e\ ld="q\"u\\o\te",p="c:\path" 1514979051065000001`,
    );
    assert.deepStrictEqual(
      p,
      point(
        'my meas,ure=x',
        { 't a=g,': 'v a=l,\\' },
        { 'f=i,e ld': 'q"u\\o\\te', p: 'c:\\path' },
        1514979051065000001n,
      ),
    );
  });

  it('skips comments, blank lines and CRs, and lets a string value span lines', () => {
    const text = '# header\n\n   \r\nm v=1i 5\r\n  # indented comment\nm s="two\nlines" 6\n\nm b=f\n';
    assert.deepStrictEqual(parseLineProtocol(text), [
      point('m', {}, { v: 1n }, 5n),
      point('m', {}, { s: 'two\nlines' }, 6n),
      point('m', {}, { b: false }),
    ]);
  });

  it('treats __proto__ as an ordinary tag and field key', () => {
    const p = parseLine('m,__proto__=x __proto__=1i');
    assert.equal(p.tags['__proto__'], 'x');
    assert.equal(p.fields['__proto__'], 1n);
    assert.equal(Object.getPrototypeOf(p.tags), null);
  });

  it('reports the line number of the first bad line', () => {
    const text = 'm v=1\n# ok\nm v=2\n\nm v=oops\nm v=3';
    assert.throws(() => parseLineProtocol(text), lpError(5, /^line 5: .*invalid value "oops"/));
  });

  it('counts lines inside multi-line strings when reporting later errors', () => {
    assert.throws(() => parseLineProtocol('m s="a\nb\nc"\nm x'), lpError(4));
    assert.throws(() => parseLineProtocol('m v=1\nm s="never closed\n\n'), lpError(2, /unterminated/));
  });

  it('rejects malformed lines with a clear reason', () => {
    const cases: [string, RegExp][] = [
      ['m', /no fields/],
      ['m,host=a', /no fields/],
      ['m,host=a ', /no fields/],
      [',t=a v=1', /empty measurement/],
      ['m,=a v=1', /empty tag key/],
      ['m,t= v=1', /empty value of tag/],
      ['m,t v=1', /tag key "t" has no "="/],
      ['m,t=a=b v=1', /unescaped "="/],
      ['m v=', /has no value/],
      ['m v', /field key "v" has no "="/],
      ['m v=1,', /field key/],
      ['m v=1 12x', /invalid timestamp/],
      ['m v=1 1 2', /unexpected text after the timestamp/],
      ['m v="x"y', /unexpected text after the fields/],
      ['m v=9223372036854775808i', /int64 range/],
      ['m v=18446744073709551616u', /uint64 range/],
      ['m v=-1u', /invalid value/],
      ['m v=1e999', /out of range/],
      ['m v=NaN', /invalid value/],
      ['m v=1 9223372036854775808', /int64 range/],
    ];
    for (const [line, reason] of cases) assert.throws(() => parseLine(line), lpError(1, reason), line);
  });

  it('rejects a blank line, a comment and two lines in parseLine', () => {
    assert.throws(() => parseLine('  '), lpError(1, /empty line/));
    assert.throws(() => parseLine('# c'), lpError(1));
    assert.throws(() => parseLine('m v=1\nm v=2'), lpError(2, /more than one line/));
    assert.deepStrictEqual(parseLine('  m v=1 \n'), point('m', {}, { v: 1 }));
  });
});

describe('line protocol formatting', () => {
  it('sorts tags, keeps field order, suffixes ints and appends the time', () => {
    const p = point(
      'cpu',
      { z: '1', a: '2' },
      { user: 1, idle: 0.5, n: 3n, s: 'x"y\\', ok: true },
      1514979051065000001n,
    );
    assert.equal(formatLine(p), 'cpu,a=2,z=1 user=1,idle=0.5,n=3i,s="x\\"y\\\\",ok=true 1514979051065000001');
  });

  it('prints an integral double so that it re-parses as the same double', () => {
    const line = formatLine(point('m', {}, { v: 1, big: 1e21, tiny: 1.5e-7, neg: -0 }));
    assert.equal(line, 'm v=1,big=1e+21,tiny=1.5e-7,neg=-0');
    assert.deepStrictEqual(parseLine(line).fields, rec({ v: 1, big: 1e21, tiny: 1.5e-7, neg: -0 }));
  });

  it('prints bigints above the int64 range as unsigned', () => {
    assert.equal(formatLine(point('m', {}, { u: 2n ** 64n - 1n })), 'm u=18446744073709551615u');
  });

  it('leaves out tags with an empty value', () => {
    assert.equal(formatLine(point('m', { a: '', b: 'x' }, { v: true })), 'm,b=x v=true');
  });

  it('joins several lines with newlines and reproduces the fixture', () => {
    const text = fixture('edge/adsl_connection.input.lp');
    assert.equal(formatLines(parseLineProtocol(text)), text.trimEnd());
    assert.equal(formatLines([]), '');
  });

  it('refuses points line protocol cannot carry', () => {
    const cases: LinePoint[] = [
      point('m', {}, {}),
      point('', {}, { v: 1 }),
      point('#m', {}, { v: 1 }),
      point('\tm', {}, { v: 1 }),
      point('m\nx', {}, { v: 1 }),
      point('m', { 'a\nb': 'x' }, { v: 1 }),
      point('m', {}, { '': 1 }),
      point('m', {}, { v: Number.NaN }),
      point('m', {}, { v: Number.POSITIVE_INFINITY }),
      point('m', {}, { v: 2n ** 64n }),
      point('m', {}, { v: -(2n ** 63n) - 1n }),
      point('m', {}, { v: 1 }, 2n ** 63n),
    ];
    for (const p of cases) assert.throws(() => formatLine(p), lpError(undefined), JSON.stringify(p.measurement));
  });
});

// ---- round trips ---------------------------------------------------------------------------

// Characters that exercise every escape rule, mixed with ordinary text.
const tricky = fc.constantFrom(',', ' ', '=', '"', '\\', 'a', 'Z', '0', 'é', '\u{1F600}', '\t', '#', '_');
const nameText = fc.oneof(
  fc.string({ minLength: 1, maxLength: 8 }),
  fc.string({ unit: tricky, minLength: 1, maxLength: 8 }),
);
const noNewline = nameText.filter((s) => !s.includes('\n'));
const measurement = noNewline.filter((s) => !/^[#\t\r]/.test(s));
const fieldValue = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
  fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('"', '\\', '\n', 'x', ' ', ',') })),
  fc.boolean(),
);

function record<T>(
  key: fc.Arbitrary<string>,
  value: fc.Arbitrary<T>,
  minLength: number,
): fc.Arbitrary<Record<string, T>> {
  return fc
    .uniqueArray(fc.tuple(fc.oneof(key, fc.constant('__proto__')), value), {
      selector: ([k]) => k,
      minLength,
      maxLength: 5,
    })
    .map((entries) => {
      const out = Object.create(null) as Record<string, T>;
      for (const [k, v] of entries) out[k] = v;
      return out;
    });
}

const linePoint: fc.Arbitrary<LinePoint> = fc
  .record(
    {
      measurement,
      tags: record(noNewline, noNewline, 0),
      fields: record(noNewline, fieldValue, 1),
      time: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: undefined }),
    },
    { noNullPrototype: true },
  )
  .map(({ time, ...rest }) => (time === undefined ? rest : { ...rest, time }));

describe('line protocol round trips', () => {
  it('parses what it formats, whatever needs escaping', () => {
    fc.assert(
      fc.property(linePoint, (p) => {
        const line = formatLine(p);
        assert.deepStrictEqual(parseLine(line), p, line);
      }),
      { numRuns: 1000 },
    );
  });

  it('parses a document of formatted points back into the same points', () => {
    fc.assert(
      fc.property(fc.array(linePoint, { maxLength: 10 }), (points) => {
        assert.deepStrictEqual(parseLineProtocol(formatLines(points)), points);
      }),
      { numRuns: 200 },
    );
  });
});
