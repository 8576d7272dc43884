import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtinUdfs } from '../../udfs/index.js';
import { checkSource, durationNs, findUdfCalls } from '../../src/check/index.js';
import { defineUdf, opt } from '../../src/sdk/index.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const check = (source: string): string[] =>
  checkSource(source, 'x.tick', builtinUdfs).problems.map((p) => `${p.line}: ${p.message}`);
/** A stream task around `body`, whose first line is line 4. */
const task = (body: string): string => `dbrp "db"."rp"\nstream\n  |from()\n${body}`;

describe('UDF calls as kudf check reads them', () => {
  // A function without declared options: every option given to it is still read, with its values.
  const f = defineUdf({
    name: 'f',
    description: 'test',
    wants: 'stream',
    provides: 'stream',
    options: {},
    create: () => ({ point() {} }),
  });
  const callsOf = (source: string) => findUdfCalls(source, [...builtinUdfs, f]);

  test('literals get their TICKscript types: 10 int, 10.0 double, quoted string, durations, booleans', () => {
    const calls = callsOf(
      task('  @f().a(10, 10.0, \'x\', 10s, 1m, 500ms, 1u, 1µ, 1d, 1w, TRUE, FALSE, -3, "ref", lambda: "v" > 1, *)'),
    );
    assert.deepEqual(
      calls[0]?.options[0]?.args.map((a) => a.type),
      [
        'int',
        'double',
        'string',
        'duration',
        'duration',
        'duration',
        'duration',
        'duration',
        'duration',
        'duration',
        'bool',
        'bool',
        'int',
        'reference',
        'lambda',
        'star',
      ],
    );
  });

  test('durations convert to nanoseconds with m meaning minutes and ms milliseconds', () => {
    assert.equal(durationNs('1m'), 60_000_000_000n);
    assert.equal(durationNs('500ms'), 500_000_000n);
    assert.equal(durationNs('2w'), 1_209_600_000_000_000n);
    assert.equal(durationNs('3µs'), 3_000n);
  });

  test('comments and strings with escaped quotes hide what looks like calls', () => {
    const src = "// @nope().x(1)\nvar s = 'it\\'s @nope() here'\nvar t = '''raw ' @nope()'''\nstream @mirror()";
    assert.deepEqual(
      callsOf(src).map((c) => c.name),
      ['mirror'],
    );
  });

  test('an escaped quote stays part of the string value', () => {
    const calls = callsOf(task("  @f().a('it\\'s')"));
    assert.equal(calls[0]?.options[0]?.args[0]?.value, "it's");
  });

  test('a multi-line chain ends at the next | or @ node and records each option line', () => {
    const src =
      "stream\n  @edgeDetect()\n    .field('a')\n\n    .previous('p_')\n  |alert()\n    .crit(lambda: \"a\" == 'x')\n  @mirror()";
    const calls = callsOf(src);
    assert.deepEqual(
      calls.map((c) => [c.name, c.line, c.options.map((o) => `${o.name}@${o.line}`)]),
      [
        ['edgeDetect', 2, ['field@3', 'previous@5']],
        ['mirror', 8, []],
      ],
    );
  });

  test('a lambda with parentheses and commas is one argument', () => {
    const calls = callsOf(task('  @f().a(lambda: sigma("v") > 3.0 AND ("w" == \'a,b\'), 1)'));
    assert.deepEqual(
      calls[0]?.options[0]?.args.map((a) => a.type),
      ['lambda', 'int'],
    );
  });

  test('a call of a function that is not declared is not among the calls', () => {
    assert.deepEqual(
      callsOf(task('  @nope()\n  @mirror()')).map((c) => c.name),
      ['mirror'],
    );
  });
});

describe('kudf check on bad scripts', () => {
  test('an unknown function is reported with the known ones', () => {
    assert.match(check(task('  @nope()'))[0] ?? '', /^4: unknown function '@nope\(\)'.*edgeDetect/);
  });

  test('an unknown option is reported on its own line', () => {
    assert.deepEqual(
      check(task("  @edgeDetect()\n    .field('a')\n    .bogus(1)")).map((m) => m.split(':')[0]),
      ['6'],
    );
  });

  test('a wrong number of values and a wrong literal type are both reported', () => {
    const problems = check(task("@edgeDetect().field('a').transition('A')\n@movingAverage().field('v').size(10.0)"));
    assert.equal(problems.length, 2);
    assert.match(problems[0] ?? '', /transition.*takes 2 value\(s\) \(string, string\), got 1/);
    assert.match(problems[1] ?? '', /^5: .*size.*must be an int, got a double \(10\.0\)/);
  });

  test('a duration option given an int is reported', () => {
    assert.match(
      check(task("@edgeDetect().field('a').hold(5)"))[0] ?? '',
      /hold.*must be a duration, got an int \(5\)/,
    );
  });

  test('a non-repeatable option given twice is reported with the first line', () => {
    assert.match(
      check(task("@edgeDetect()\n.field('a')\n.emitFirst(TRUE)\n.emitFirst(FALSE)")).join('\n'),
      /7: .*emitFirst.*more than once \(first on line 6\)/,
    );
  });

  test('a missing required option is reported at the call', () => {
    assert.deepEqual(check(task('\n@movingAverage().size(3)')), [
      "5: @movingAverage() is missing required option '.field()'",
    ]);
  });

  test('a value the function rejects at Init is reported, e.g. ewma with both alpha and halfLife', () => {
    assert.match(check(task("@ewma().field('v').alpha(0.5).halfLife(1m)"))[0] ?? '', /would fail Init.*exactly one/);
  });

  test('a typed variable is checked through its declaration', () => {
    assert.match(
      check(`var n = 10.0\n${task("@movingAverage().field('v').size(n)")}`)[0] ?? '',
      /must be an int, got a double \(n\)/,
    );
    assert.deepEqual(check(`var n = 10\nvar f string\n${task('@movingAverage().field(f).size(n)')}`), []);
  });

  test('definitions given as a parameter are checked too', () => {
    const extra = defineUdf({
      name: 'custom',
      description: 'test',
      wants: 'stream',
      provides: 'stream',
      options: { k: opt.int() },
      create: () => ({ point() {} }),
    });
    const problems = checkSource(task("@custom().k('x')"), 'y.tick', [...builtinUdfs, extra]).problems;
    assert.equal(problems.length, 1);
    assert.match(problems[0]?.message ?? '', /must be an int, got a string/);
  });
});

describe('kudf check command', () => {
  const tickscripts = readdirSync(`${repoRoot}tickscripts`)
    .filter((f) => f.endsWith('.tick'))
    .map((f) => `tickscripts/${f}`);

  test('the repository TICKscripts pass, one of them per function at least', () => {
    const res = spawnSync(process.execPath, ['dist/src/cli/main.js', 'check', ...tickscripts], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    assert.equal(res.status, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /no problems/);
    const called = new Set(
      tickscripts.flatMap((f) =>
        [...readFileSync(`${repoRoot}${f}`, 'utf8').matchAll(/@(\w+)\(/g)].map((m) => m[1] as string),
      ),
    );
    for (const def of builtinUdfs) assert.ok(called.has(def.name), `no TICKscript calls @${def.name}()`);
  });

  test('a bad script makes the command print file:line: message and exit non-zero', () => {
    const res = spawnSync(
      process.execPath,
      ['dist/src/cli/main.js', 'check', 'tickscripts/adsl_state_changes.tick', 'test/udfs/fixtures/bad.tick'],
      {
        cwd: repoRoot,
        encoding: 'utf8',
      },
    );
    assert.equal(res.status, 1, res.stderr);
    assert.match(res.stdout, /^test\/udfs\/fixtures\/bad\.tick:\d+: /m);
  });
});
