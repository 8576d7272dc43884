import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { pino } from 'pino';
import { KeepaliveScanner } from '../../../src/host/internal.js';
import { Session } from '../../../src/host/index.js';
import { encodeFrame, encodeRequest, encodeUvarint, type Request, type Response } from '../../../src/protocol/index.js';
import { defineUdf } from '../../../src/sdk/index.js';
import { mirror } from '../../../udfs/index.js';
import { pt } from '../../helpers/index.js';

const stream: Request[] = [
  { kind: 'init', options: [], taskID: 't', nodeID: 'n' },
  { kind: 'keepalive', time: 1n },
  { kind: 'point', point: pt({ time: 1, group: 'a', fields: { v: 1.5, s: 'x'.repeat(40) } }) },
  { kind: 'keepalive', time: 1514979051065000001n },
  { kind: 'info' },
  { kind: 'snapshot' },
  { kind: 'keepalive', time: -5n },
];
const bytes = Buffer.concat(stream.map((r) => encodeFrame(encodeRequest(r))));
const expected = [1n, 1514979051065000001n, -5n];

describe('KeepaliveScanner', () => {
  it('finds every keepalive of a stream in order, and nothing else', () => {
    assert.deepEqual(new KeepaliveScanner(1 << 20).push(bytes), expected);
  });

  it('counts every frame completed, empty ones and ones split across chunks included', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 97 }),
        (sizes, cut) => {
          const all = Buffer.concat(sizes.map((n) => Buffer.concat([encodeUvarint(n), Buffer.alloc(n, 3)])));
          const scanner = new KeepaliveScanner(1 << 20);
          const seen: number[] = [];
          for (let pos = 0; pos < all.length; pos += cut) {
            scanner.push(all.subarray(pos, pos + cut));
            seen.push(scanner.framesSeen);
          }
          assert.equal(scanner.framesSeen, sizes.length);
          assert.ok(
            seen.every((n, i) => i === 0 || n >= (seen[i - 1] as number)),
            'the count never goes back',
          );
        },
      ),
    );
  });

  it('finds the same keepalives whatever the chunking, down to single bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: bytes.length }), { maxLength: 20 }), (cuts) => {
        const scanner = new KeepaliveScanner(1 << 20);
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const found: bigint[] = [];
        let from = 0;
        for (const to of [...points, bytes.length]) {
          found.push(...scanner.push(bytes.subarray(from, to)));
          from = to;
        }
        assert.deepEqual(found, expected);
      }),
    );
    const scanner = new KeepaliveScanner(1 << 20);
    const found: bigint[] = [];
    for (let i = 0; i < bytes.length; i++) found.push(...scanner.push(bytes.subarray(i, i + 1)));
    assert.deepEqual(found, expected);
  });

  it('stops at a length prefix over the limit and finds nothing after it', () => {
    const scanner = new KeepaliveScanner(1000);
    const after = encodeFrame(encodeRequest({ kind: 'keepalive', time: 9n }));
    assert.deepEqual(scanner.push(Buffer.concat([encodeUvarint(2 ** 31), after])), []);
  });
});

describe('Session raw pass-through', () => {
  it('writes an emitted input point back as its original bytes, and encodes any other point', () => {
    const responses: Response[] = [];
    const raws: Uint8Array[] = [];
    const copy = defineUdf({ ...mirror, name: 'copy', create: () => ({ point: (p, out) => out.emit({ ...p }) }) });
    const body = encodeRequest({ kind: 'point', point: pt({ time: 1, fields: { v: 1 } }) });
    for (const def of [mirror, copy]) {
      const session = new Session(def, pino({ level: 'silent' }), (r) => responses.push(r), {
        sendRaw: (b) => raws.push(b),
      });
      session.handle({ kind: 'init', options: [], taskID: 't', nodeID: 'n' });
      // The body in the middle of a larger buffer, as a frame in a read chunk.
      const chunk = new Uint8Array([7, 7, 7, ...body, 9]);
      session.handle(
        { kind: 'point', point: pt({ time: 1, fields: { v: 1 } }) },
        { buf: chunk, start: 3, end: 3 + body.length },
      );
    }
    assert.deepEqual(
      raws.map((r) => Buffer.from(r)),
      [Buffer.from(body)],
      'mirror passed the bytes through',
    );
    assert.equal(responses.filter((r) => r.kind === 'point').length, 1, 'the copying function was encoded');
  });

  it('leaves keepalives to the transport when told it answers them', () => {
    const responses: Response[] = [];
    const session = new Session(mirror, pino({ level: 'silent' }), (r) => responses.push(r), {
      answerKeepalives: false,
    });
    session.handle({ kind: 'keepalive', time: 3n });
    assert.deepEqual(responses, []);
  });
});
