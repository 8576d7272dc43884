import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { deriveField, derivePoint } from '../../../src/sdk/index.js';
import { pt } from '../../helpers/index.js';

describe('deriveField', () => {
  const input = pt({ time: 7, group: 'host=a', tags: { host: 'a' }, fields: { v: 1.5, n: 3n } });

  it('makes the point derivePoint makes from a one-field literal, for any field name and value', () => {
    const value = fc.oneof(
      fc.double(),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.string(),
      fc.boolean(),
    );
    const name = fc.oneof(fc.string(), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', ''));
    fc.assert(
      fc.property(name, value, (key, v) => {
        const q = deriveField(input, key, v);
        const expected = derivePoint(input, { [key]: v });
        assert.deepEqual(Object.keys(q.fields), [key]);
        assert.ok(Object.hasOwn(q.fields, key));
        assert.equal(q.fields[key], v);
        assert.deepEqual(q.fields, expected.fields);
        const { fields: _a, ...rest } = q;
        const { fields: _b, ...expectedRest } = expected;
        assert.deepEqual(rest, expectedRest);
      }),
    );
  });

  it('shares the input series objects (so the host writes it from the input bytes) and inherits no field', () => {
    const q = deriveField(input, 'avg', 2);
    assert.equal(q.tags, input.tags);
    assert.equal(q.dimensions, input.dimensions);
    assert.equal('toString' in q.fields, false);
    assert.equal(q.fields['v'], undefined);
  });
});
