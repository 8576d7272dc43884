import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  outcomeForStatus,
  parseRetryAfter,
  secretScrubber,
  toPrecision,
} from '../../../../src/ingest/writer/internal.js';
import { redactUrl, pointFromJson } from '../../../../src/ingest/writer/index.js';

process.on('unhandledRejection', (err) => {
  throw err;
});

test('statuses map to retry, split, reject and hold as Telegraf users expect', () => {
  const now = 0;
  assert.equal(outcomeForStatus(204, '', undefined, now).kind, 'ok');
  assert.equal(outcomeForStatus(500, '{"error":"timeout"}', undefined, now).kind, 'retry');
  assert.equal(outcomeForStatus(408, '', undefined, now).kind, 'retry');
  assert.deepEqual(outcomeForStatus(429, '', '7', now), {
    kind: 'retry',
    reason: 'HTTP 429',
    status: 429,
    retryAfterMs: 7000,
  });
  assert.equal(outcomeForStatus(413, '', undefined, now).kind, 'split');
  const reject = outcomeForStatus(400, '{"error":"partial write: field type conflict: dropped=3"}', undefined, now);
  assert.deepEqual(reject, {
    kind: 'reject',
    reason: 'HTTP 400: partial write: field type conflict: dropped=3',
    status: 400,
    dropped: 3,
  });
  assert.equal(
    outcomeForStatus(422, '{"code":"unprocessable entity","message":"failure writing points"}', undefined, now).kind,
    'reject',
  );
  for (const s of [401, 403])
    assert.deepEqual(outcomeForStatus(s, '', undefined, now), {
      kind: 'hold',
      reason: `HTTP ${s}`,
      status: s,
      databaseMissing: false,
    });
  const missing = outcomeForStatus(404, '{"error":"database not found: \\"x\\""}', undefined, now);
  assert.equal(missing.kind === 'hold' && missing.databaseMissing, true);
});

test('Retry-After is read as seconds or as an HTTP date', () => {
  const now = Date.parse('2024-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('3', now), 3000);
  assert.equal(parseRetryAfter('Mon, 01 Jan 2024 00:00:10 GMT', now), 10_000);
  assert.equal(parseRetryAfter('Sun, 31 Dec 2023 00:00:10 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});

test('timestamps are truncated to the precision, rounding down before 1970', () => {
  assert.equal(toPrecision('m v=1 1700000000123456789', 'ms'), 'm v=1 1700000000123');
  assert.equal(toPrecision('m v=1 1700000000123456789', 'us'), 'm v=1 1700000000123456');
  assert.equal(toPrecision('m s="a b" 1999999999', 's'), 'm s="a b" 1');
  assert.equal(toPrecision('m v=1 -1500000000', 's'), 'm v=1 -2');
  assert.equal(toPrecision('m v=1 5', 'ns'), 'm v=1 5');
});

test('secrets are scrubbed from text by value, encoded or not, and from URLs', () => {
  const scrub = secretScrubber(['p@ss word', 'ab', undefined]);
  const text = `failed http://u:p@ss word@h/ with p%40ss%20word and ${Buffer.from('p@ss word').toString('base64')} ab`;
  const out = scrub(text);
  assert.ok(
    !out.includes('p@ss word') &&
      !out.includes('p%40ss%20word') &&
      !out.includes(Buffer.from('p@ss word').toString('base64')),
  );
  assert.ok(out.endsWith(' ab'), 'two-letter secrets are not hunted for');
  assert.equal(
    redactUrl('https://admin:hunter2@db:8086/write?db=x&p=hunter2'),
    'https://admin:%5Bredacted%5D@db:8086/write?db=x&p=%5Bredacted%5D',
  );
});

test('JSON points mark integers with {"int"} and take time as ns digits or ISO 8601', () => {
  assert.deepEqual(
    pointFromJson({
      measurement: 'm',
      fields: { f: 1, i: { int: '9223372036854775807' }, j: { int: 3 }, s: 's', b: false },
      time: '-5',
    }),
    {
      measurement: 'm',
      tags: {},
      fields: { f: 1, i: 9223372036854775807n, j: 3n, s: 's', b: false },
      time: -5n,
    },
  );
  assert.equal(
    pointFromJson({ measurement: 'm', fields: { v: 1 }, time: '1970-01-01T00:00:01Z' }).time,
    1_000_000_000n,
  );
  assert.throws(() => pointFromJson({ measurement: 'm', fields: { v: { int: 1.5 } } }), {
    code: 'KUDF_JSON_POINT_INVALID',
  });
  assert.throws(() => pointFromJson({ measurement: 'm', fields: { v: 1 }, time: 1.7e18 }), {
    code: 'KUDF_JSON_POINT_INVALID',
  });
  assert.throws(() => pointFromJson({ measurement: 'm', tags: { t: 1 }, fields: { v: 1 } }), {
    code: 'KUDF_JSON_POINT_INVALID',
  });
});
