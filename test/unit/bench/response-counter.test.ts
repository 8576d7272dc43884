import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ResponseCounter } from '../../../bench/internal.js';
import { encodeFrame, encodeResponse, type Response } from '../../../src/protocol/index.js';

type Item = { kind: 'point'; group: string } | { kind: 'keepalive'; time: bigint } | { kind: 'error'; text: string };

function frameOf(item: Item): Uint8Array {
  let response: Response;
  if (item.kind === 'keepalive') response = { kind: 'keepalive', time: item.time };
  else if (item.kind === 'error') response = { kind: 'error', error: item.text };
  else {
    const fields = Object.create(null) as Record<string, number>;
    fields['v'] = 1.5;
    const tags = Object.create(null) as Record<string, string>;
    tags['host'] = item.group;
    response = {
      kind: 'point',
      point: {
        time: 1n,
        name: 'm',
        database: 'db',
        retentionPolicy: 'rp',
        group: item.group,
        dimensions: ['host'],
        tags,
        fields,
        byName: false,
      },
    };
  }
  return encodeFrame(encodeResponse(response));
}

const item: fc.Arbitrary<Item> = fc.oneof(
  fc.record({ kind: fc.constant('point' as const), group: fc.string({ maxLength: 300 }) }),
  fc.record({ kind: fc.constant('keepalive' as const), time: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }) }),
  fc.record({ kind: fc.constant('error' as const), text: fc.string({ maxLength: 200 }) }),
);

describe('load generator: response counter', () => {
  it('counts every point and reads every keepalive and management frame however the stream is cut, through one reused read buffer', () => {
    fc.assert(
      fc.property(
        fc.array(item, { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 1, maxLength: 20 }),
        (items, cuts) => {
          const stream = Buffer.concat(items.map(frameOf));
          const times: bigint[] = [];
          const errors: string[] = [];
          const counter = new ResponseCounter({
            keepalive: (time) => times.push(time),
            management: (r) => errors.push(r.kind === 'error' ? r.error : r.kind),
          });
          // Like a socket with `onread`: every read lands in the same buffer, overwriting the last one.
          const readBuffer = Buffer.alloc(400);
          let pos = 0;
          for (let i = 0; pos < stream.length; i++) {
            const n = Math.min(cuts[i % cuts.length] as number, stream.length - pos);
            stream.copy(readBuffer, 0, pos, pos + n);
            counter.push(readBuffer.subarray(0, n));
            readBuffer.fill(0xff);
            pos += n;
          }
          assert.equal(counter.points, items.filter((x) => x.kind === 'point').length);
          assert.deepEqual(
            times,
            items.flatMap((x) => (x.kind === 'keepalive' ? [x.time] : [])),
          );
          assert.deepEqual(
            errors,
            items.flatMap((x) => (x.kind === 'error' ? [x.text] : [])),
          );
          assert.equal(counter.atFrameBoundary, true);
        },
      ),
    );
  });
});
