import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { builtinUdfs } from '../../udfs/index.js';
import { checkSource, KAPACITOR_NODES, lex, parse, TickSyntaxError, type Problem } from '../../src/check/index.js';
import {
  caseFiles,
  expectedVerdict,
  kudfCheckInProcess,
  readVerdicts,
  renderTable,
  runKudfCheck,
  tableInDoc,
} from '../helpers/index.js';

const problems = (source: string): Problem[] => checkSource(source, 'x.tick', builtinUdfs).problems;
const lines = (source: string): string[] => problems(source).map((p) => `${p.line}: ${p.message} [${p.stage}]`);
const stream = (body: string): string => `dbrp "db"."rp"\nstream\n  |from()\n${body}`;
const batch = (body: string): string => `dbrp "db"."rp"\nbatch\n  |query('SELECT v FROM "db"."rp"."m"')\n${body}`;

function syntaxError(source: string): TickSyntaxError {
  try {
    parse(source);
  } catch (err) {
    if (err instanceof TickSyntaxError) return err;
    throw err;
  }
  assert.fail(`parsed: ${source}`);
}

describe('TICKscript lexer and parser (Kapacitor grammar)', () => {
  test('a number glued to a duration unit is a duration; other letters start a name', () => {
    assert.deepEqual(
      lex('10s 5m 2ms 1u 3d 1w 1.5 10ns').map((t) => `${t.kind}:${t.text}`),
      [
        'duration:10s',
        'duration:5m',
        'duration:2ms',
        'duration:1u',
        'duration:3d',
        'duration:1w',
        'number:1.5',
        'number:10',
        'ident:ns',
        'eof:',
      ],
    );
  });

  test('- and / are operators after a value, a sign and a regex elsewhere', () => {
    assert.deepEqual(
      lex('a - 1 -2 "x" =~ /y/').map((t) => t.kind),
      ['ident', 'operator', 'number', 'operator', 'number', 'reference', 'operator', 'regex', 'eof'],
    );
  });

  test('the syntax error of an unclosed UDF call is at the character Kapacitor names', () => {
    const err = syntaxError(
      'dbrp "a"."b"\n\nstream\n    |from()\n        .measurement(\'m\')\n    // comment\n    @mirror(|log()\n',
    );
    assert.equal(err.code, 'KUDF_TICK_SYNTAX');
    assert.deepEqual([err.line, err.char], [7, 13]);
  });

  test('an unterminated string and a character TICKscript does not know are syntax errors', () => {
    assert.deepEqual([syntaxError("stream|from().measurement('m)").line, syntaxError('stream\n|from();').char], [1, 8]);
    assert.match(syntaxError("stream|from().measurement('m)").message, /unterminated string/);
  });

  test('a trailing comma, lambdas, string lists and chains as arguments parse', () => {
    const program = parse(
      'var a = stream|from()\nvar b = stream|from()\na|join(b).as(\'a\', \'b\',).tolerance(1s)|where(lambda: "a.v" > 1 AND ("b.v" < 2 OR !"x"))|groupBy([\'h\', *])',
    );
    assert.equal(program.length, 3);
  });

  test('a missing value after an operator is a syntax error, as is a missing )', () => {
    assert.match(syntaxError('stream|from()@movingAverage().size(10 +)').message, /unexpected '\)'/);
    assert.match(syntaxError("stream|from()@movingAverage().field('v'").message, /end of script/);
  });
});

describe('kudf check on the pipeline', () => {
  test('a syntax error is one problem Kapacitor refuses at define', () => {
    assert.deepEqual(lines(stream('  @mirror(|log()')), [
      "4: syntax error at line 4 char 11: unexpected '|', expected a value [define]",
    ]);
  });

  test('a stream UDF in a batch task and a batch UDF in a stream task are refused', () => {
    assert.deepEqual(lines(batch("  @edgeDetect().field('v')")), [
      '4: @edgeDetect() wants a stream edge, but |query() before it provides a batch edge [define]',
    ]);
    assert.deepEqual(lines(stream("  @outliers().field('v')")), [
      '4: @outliers() wants a batch edge, but |from() before it provides a stream edge [define]',
    ]);
  });

  test('edge types follow the nodes: a window makes batches, a reducing InfluxQL function a stream', () => {
    assert.deepEqual(
      lines(stream("  |window().period(1m).every(1m)\n  @outliers().field('v')\n  |mean('v')\n  @mirror()")),
      [],
    );
    assert.equal(problems(stream('  |window().period(1m)\n  @mirror()'))[0]?.stage, 'define');
    assert.match(lines(batch('  |window()'))[0] ?? '', /\|window\(\) needs a stream edge/);
  });

  test("a UDF's option after the next node is refused, and the message names the UDF it belongs to", () => {
    assert.deepEqual(lines(stream("  @edgeDetect().field('v')\n  |log()\n    .previous('p_')")), [
      "6: |log() has no property '.previous()'; it is an option of @edgeDetect(), @edgeDetectBatch(), so it must follow that call before any other node [define]",
    ]);
  });

  test('|, . and @ each need the kind of method they name', () => {
    assert.match(
      lines(stream("  @movingAverage()\n  |field('v')"))[1] ?? '',
      /'field' is a property of @movingAverage\(\): write \.field\(\), not \|field\(\) \[define\]/,
    );
    assert.match(lines(stream('  |mirror()'))[0] ?? '', /'mirror' is a UDF: write @mirror\(\)/);
    assert.match(lines(stream('  .log()'))[0] ?? '', /'log' is a chaining method: write \|log\(\)/);
    assert.match(lines(stream('  @log()'))[0] ?? '', /'log' is a chaining method: write \|log\(\), not @log\(\)/);
    assert.match(lines(stream("  |log().level('DEBUG')\n  @mirror()\n  |httpOut('x')"))[0] ?? 'none', /^none$/);
  });

  test('names must be defined before use and cannot be redefined', () => {
    assert.match(lines(stream("  @movingAverage().field('v').size(n)"))[0] ?? '', /'n' is not defined \[define\]/);
    assert.match(
      lines(`var n = 1\nvar n = 2\n${stream("  @movingAverage().field('v').size(n)")}`)[0] ?? '',
      /'n' is already defined/,
    );
  });

  test('a script needs one source, a dbrp and something chained to its source', () => {
    assert.match(
      lines('dbrp "db"."rp"\nstream|from()@mirror()\nbatch|query(\'q\')@outliers().field(\'v\')')[0] ?? '',
      /uses both stream and batch/,
    );
    assert.match(lines('stream|from()@mirror()')[0] ?? '', /no dbrp statement/);
    assert.match(lines('dbrp "db"."rp"\nstream')[0] ?? '', /no pipeline from stream or batch/);
    assert.match(lines('dbrp "db"."rp"\nvar s = stream')[0] ?? '', /does nothing/);
    assert.match(lines('dbrp "db"."rp"\nvar x = 1')[0] ?? '', /no pipeline from stream or batch/);
  });

  test('arguments to a UDF call are ignored by Kapacitor: a note that does not fail the check', () => {
    assert.deepEqual(
      problems(stream('  @mirror(1)')).map((p) => p.stage),
      ['ignored'],
    );
  });

  test('a variable holding a node carries its edge type to where it is used', () => {
    assert.deepEqual(
      lines(`dbrp "db"."rp"\nvar w = stream|from()|window().period(1m)\nw@outliers().field('v')\nw@mirror()`),
      ['4: @mirror() wants a stream edge, but |window() before it provides a batch edge [define]'],
    );
  });
});

describe("the model of Kapacitor's nodes", () => {
  test('every chaining method and handler property leads to a node type the model knows', () => {
    for (const [type, model] of Object.entries(KAPACITOR_NODES)) {
      for (const [name, target] of [...Object.entries(model.chain), ...Object.entries(model.properties)]) {
        if (target !== '') assert.ok(KAPACITOR_NODES[target] !== undefined, `${type}.${name} -> ${target}`);
      }
    }
    assert.equal(KAPACITOR_NODES.StreamNode?.chain['from'], 'FromNode');
    assert.equal(KAPACITOR_NODES.BatchNode?.chain['query'], 'QueryNode');
    assert.ok(Object.hasOwn(KAPACITOR_NODES.FromNode?.properties ?? {}, 'measurement'));
  });
});

describe('the check-vs-define cases', () => {
  const verdicts = readVerdicts();

  test('there are at least 25, good and bad, covering each kind of mistake', () => {
    const files = caseFiles();
    assert.ok(files.length >= 25, `${files.length} cases`);
    for (const kind of [
      'good-',
      'start-',
      'bad-syntax-',
      'bad-unknown-option',
      'bad-wrong-type-',
      'bad-too-',
      'start-missing-required',
      'bad-stream-udf-in-batch',
      'bad-batch-udf-in-stream',
      'bad-option-on-wrong-node',
    ]) {
      assert.ok(
        files.some((f) => f.startsWith(kind)),
        kind,
      );
    }
    assert.deepEqual(Object.keys(verdicts).sort(), files);
  });

  for (const file of caseFiles()) {
    test(`${file}: kudf check says what verdicts.json records (and what Kapacitor said)`, async () => {
      const recorded = verdicts[file];
      const kudf = await kudfCheckInProcess(file);
      assert.deepEqual(kudf, recorded?.kudf);
      assert.equal(kudf.verdict, expectedVerdict(file));
      assert.equal(recorded?.kapacitor.verdict, kudf.verdict);
    });
  }

  test('the command prints the same as the library, with exit code 1 for a refused script', () => {
    assert.deepEqual(runKudfCheck('bad-syntax-unclosed-call.tick'), verdicts['bad-syntax-unclosed-call.tick']?.kudf);
  });

  test('docs/kapacitor.md shows the table rendered from verdicts.json', () => {
    assert.equal(tableInDoc(), renderTable(verdicts));
  });
});
