import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pollPoint, statusToPoints } from '../../../../src/ingest/index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', '..');
const fixtures = join(repo, 'test', 'fixtures', 'adsl');
const ctx = { host: 'r1', tags: { site: 'lab' }, time: 1_700_000_000_000_000_000n };

describe('status to points', () => {
  it('writes the state exactly as printed, its class and line_up to adsl_connection', () => {
    const { points } = statusToPoints(
      { state: 'Showtime with TC-Layer sync', state_class: 'showtime', line_up: true, snr_margin_down_db: 6.9 },
      ctx,
    );
    const conn = points.find((p) => p.measurement === 'adsl_connection');
    assert.deepEqual(conn, {
      measurement: 'adsl_connection',
      tags: { site: 'lab', host: 'r1' },
      fields: { value: 'Showtime with TC-Layer sync', state_class: 'showtime', line_up: true },
      time: ctx.time,
    });
  });

  it('types every fixture metric as the README says: integers as bigint, dB values as floats', () => {
    for (const f of readdirSync(fixtures).filter((n) => n.endsWith('.expected.json'))) {
      const expected = JSON.parse(readFileSync(join(fixtures, f), 'utf8')) as Record<string, unknown>;
      const { points, skipped } = statusToPoints(expected, ctx);
      assert.deepEqual(skipped, [], f);
      const line = points.find((p) => p.measurement === 'adsl_line');
      for (const [k, v] of Object.entries(expected)) {
        if (['state', 'state_detail', 'state_class', 'line_up'].includes(k)) continue;
        const got = line?.fields[k];
        if (typeof v === 'string') assert.equal(got, v, `${f} ${k}`);
        else if (/_db$|_dbm$/.test(k)) assert.equal(typeof got, 'number', `${f} ${k}`);
        else assert.equal(got, BigInt(v as number), `${f} ${k}`);
      }
    }
  });

  it('leaves out adsl_connection when no state was printed, and never invents one', () => {
    const { points } = statusToPoints({ sync_rate_down_kbps: 1000 }, ctx);
    assert.deepEqual(
      points.map((p) => p.measurement),
      ['adsl_line'],
    );
  });

  it('drops a value of the wrong type and says so', () => {
    const { points, skipped } = statusToPoints(
      { state: 'up', sync_rate_down_kbps: 10.5, mode: 7, snr_margin_down_db: Number.NaN },
      ctx,
    );
    assert.deepEqual(skipped.map((s) => s.key).sort(), ['mode', 'snr_margin_down_db', 'sync_rate_down_kbps']);
    assert.equal(
      points.find((p) => p.measurement === 'adsl_line'),
      undefined,
    );
  });

  it('builds adsl_poll with a float duration, a boolean and the error class', () => {
    assert.deepEqual(pollPoint(ctx, { durationMs: 12, success: false, errorClass: 'parse' }).fields, {
      duration_ms: 12,
      success: false,
      error_class: 'parse',
    });
  });
});
