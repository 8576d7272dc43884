import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  escapeIac,
  negotiationBytes,
  TelnetDecoder,
  TelnetNegotiator,
  type Negotiation,
} from '../../../../src/ingest/telnet/index.js';

// The byte values are written out here (RFC 854), not taken from the module under test.
const B = { IAC: 255, DONT: 254, DO: 253, WONT: 252, WILL: 251, SB: 250, GA: 249, NOP: 241, SE: 240 } as const;
const VERB_BYTE: Record<Negotiation, number> = { will: B.WILL, wont: B.WONT, do: B.DO, dont: B.DONT };

/** What a decoder should report: text (as bytes) and option requests, adjacent text merged. */
type Expected = { type: 'data'; bytes: number[] } | { type: Negotiation; option: number };

/** A wire sequence and what it means, built from parts so the expectation never comes from the decoder. */
class Wire {
  readonly bytes: number[] = [];
  readonly expected: Expected[] = [];

  text(s: string): this {
    const bytes = [...Buffer.from(s, 'latin1')];
    assert.ok(!bytes.includes(B.IAC), 'use data255() for a 255');
    this.bytes.push(...bytes);
    return this.data(bytes);
  }

  /** A data byte 255, escaped on the wire as IAC IAC. */
  data255(): this {
    this.bytes.push(B.IAC, B.IAC);
    return this.data([255]);
  }

  negotiate(verb: Negotiation, option: number): this {
    this.bytes.push(B.IAC, VERB_BYTE[verb], option);
    this.expected.push({ type: verb, option });
    return this;
  }

  /** IAC SB option payload IAC SE, with each 255 of the payload doubled: the decoder reports nothing. */
  sub(option: number, payload: number[]): this {
    this.bytes.push(B.IAC, B.SB, option);
    for (const b of payload) this.bytes.push(...(b === B.IAC ? [B.IAC, B.IAC] : [b]));
    this.bytes.push(B.IAC, B.SE);
    return this;
  }

  /** Raw bytes the decoder skips (a two-byte command, a malformed part of a subnegotiation). */
  skipped(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }

  private data(bytes: number[]): this {
    const last = this.expected.at(-1);
    if (last?.type === 'data') last.bytes.push(...bytes);
    else this.expected.push({ type: 'data', bytes });
    return this;
  }
}

/** Decodes the chunks in order, copying each data view on receipt, and merges adjacent text. */
function decode(chunks: Buffer[]): Expected[] {
  const decoder = new TelnetDecoder();
  const out: Expected[] = [];
  for (const chunk of chunks) {
    for (const ev of decoder.push(chunk)) {
      if (ev.type !== 'data') {
        out.push({ type: ev.type, option: ev.option });
        continue;
      }
      assert.ok(ev.bytes.length > 0, 'no empty data event');
      const last = out.at(-1);
      if (last?.type === 'data') last.bytes.push(...ev.bytes);
      else out.push({ type: 'data', bytes: [...ev.bytes] });
    }
  }
  return out;
}

/** The sequence cut at the given offsets. */
function cut(bytes: number[], at: number[]): Buffer[] {
  const edges = [0, ...at, bytes.length];
  return edges.slice(1).map((end, i) => Buffer.from(bytes.slice(edges[i], end)));
}

const SEQUENCES: Record<string, Wire> = {
  'plain text': new Wire().text('Login: '),
  'an escaped 255 between text': new Wire().text('a').data255().text('b'),
  'escaped 255s back to back and at both ends': new Wire().data255().data255().text('x').data255(),
  'each negotiation between text': new Wire()
    .text('r')
    .negotiate('will', 1)
    .text('o')
    .negotiate('wont', 3)
    .negotiate('do', 24)
    .text('u')
    .negotiate('dont', 31)
    .text('ter> '),
  'an escaped 255 right before a command': new Wire().data255().negotiate('will', 1).data255(),
  'option number 255 (extended options)': new Wire().negotiate('do', 255).text('z'),
  // What Debian's inetutils-telnetd sends first: WILL AUTHENTICATION, WILL ENCRYPT, DO TTYPE, DO TSPEED, DO XDISPLOC, DO NEW-ENVIRON, DO ENVIRON.
  "telnetd's opening": new Wire()
    .negotiate('will', 37)
    .negotiate('will', 38)
    .negotiate('do', 24)
    .negotiate('do', 32)
    .negotiate('do', 35)
    .negotiate('do', 39)
    .negotiate('do', 36),
  'a subnegotiation with an escaped 255 and a stray SE in its payload': new Wire()
    .text('be')
    .sub(24, [1, B.IAC, B.SE, 65])
    .text('fore'),
  'an empty subnegotiation next to a negotiation': new Wire().sub(31, []).negotiate('will', 3).text('!'),
  'a malformed IAC inside a subnegotiation': new Wire()
    .text('a')
    .skipped(B.IAC, B.SB, 24, 1, B.IAC, B.NOP, 2, B.IAC, B.SE)
    .text('b'),
  'two-byte commands (NOP, GA) between text': new Wire()
    .text('one')
    .skipped(B.IAC, B.NOP)
    .text('two')
    .skipped(B.IAC, B.GA)
    .data255(),
};

describe('telnet decoder', () => {
  for (const [name, wire] of Object.entries(SEQUENCES)) {
    it(`reads ${name} whole, cut at every position, cut at every two positions and one byte at a time`, () => {
      const { bytes, expected } = wire;
      assert.deepEqual(decode(cut(bytes, [])), expected, 'whole');
      for (let i = 0; i <= bytes.length; i++) {
        assert.deepEqual(decode(cut(bytes, [i])), expected, `cut at ${i}`);
        for (let j = i; j <= bytes.length; j++)
          assert.deepEqual(decode(cut(bytes, [i, j])), expected, `cut at ${i} and ${j}`);
      }
      assert.deepEqual(decode(bytes.map((b) => Buffer.from([b]))), expected, 'one byte at a time');
    });
  }

  it('keeps its place across all of the sequences above in one stream, cut at every position', () => {
    const all = Object.values(SEQUENCES);
    const bytes = all.flatMap((w) => w.bytes);
    // Text of neighbouring parts runs together in one stream.
    const expected: Expected[] = [];
    for (const e of all.flatMap((w) => w.expected)) {
      const last = expected.at(-1);
      if (e.type === 'data' && last?.type === 'data') last.bytes.push(...e.bytes);
      else expected.push(e.type === 'data' ? { type: 'data', bytes: [...e.bytes] } : e);
    }
    for (let i = 0; i <= bytes.length; i++) assert.deepEqual(decode(cut(bytes, [i])), expected, `cut at ${i}`);
  });

  it('hands out text as views of the chunk, without copying it', () => {
    const chunk = Buffer.from('router> ', 'latin1');
    const [ev] = new TelnetDecoder().push(chunk);
    assert.equal(ev?.type, 'data');
    assert.equal(ev.type === 'data' ? ev.bytes.buffer : undefined, chunk.buffer);
  });
});

describe('telnet output escaping', () => {
  it('doubles every 255 and leaves every other byte alone', () => {
    assert.deepEqual([...escapeIac(Buffer.from([1, 255, 2, 255, 255]))], [1, 255, 255, 2, 255, 255, 255, 255]);
    const plain = Buffer.from('show dsl\r\n');
    assert.equal(escapeIac(plain), plain, 'nothing to escape: the same buffer');
  });

  it('round-trips every byte value through the decoder, cut at every position', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const wire = [...escapeIac(all)];
    for (let i = 0; i <= wire.length; i++)
      assert.deepEqual(decode(cut(wire, [i])), [{ type: 'data', bytes: [...all] }], `cut at ${i}`);
  });

  it('writes option commands as IAC, verb, option', () => {
    assert.deepEqual([...negotiationBytes('do', 1)], [B.IAC, B.DO, 1]);
    assert.deepEqual([...negotiationBytes('wont', 24)], [B.IAC, B.WONT, 24]);
    assert.deepEqual([...negotiationBytes('dont', 37)], [B.IAC, B.DONT, 37]);
    assert.deepEqual([...negotiationBytes('will', 3)], [B.IAC, B.WILL, 3]);
  });
});

describe('telnet option negotiation', () => {
  const bytesOf = (b: Buffer | undefined): number[] | undefined => (b === undefined ? undefined : [...b]);

  it('lets the device echo and suppress go-ahead, and acknowledges each only once', () => {
    const n = new TelnetNegotiator();
    assert.deepEqual(bytesOf(n.answer('will', 1)), [B.IAC, B.DO, 1]);
    assert.deepEqual(bytesOf(n.answer('will', 3)), [B.IAC, B.DO, 3]);
    assert.equal(n.answer('will', 1), undefined, 'already agreed: no second DO, so no loop');
  });

  it('acknowledges a device turning an accepted option off, once, and accepts it again later', () => {
    const n = new TelnetNegotiator();
    n.answer('will', 1);
    assert.deepEqual(bytesOf(n.answer('wont', 1)), [B.IAC, B.DONT, 1]);
    assert.equal(n.answer('wont', 1), undefined);
    assert.equal(n.answer('wont', 3), undefined, 'never on: nothing to acknowledge');
    assert.deepEqual(bytesOf(n.answer('will', 1)), [B.IAC, B.DO, 1]);
  });

  it('refuses every other option the device offers, and every option it asks this client to use', () => {
    const n = new TelnetNegotiator();
    assert.deepEqual(bytesOf(n.answer('will', 37)), [B.IAC, B.DONT, 37]);
    assert.deepEqual(bytesOf(n.answer('do', 24)), [B.IAC, B.WONT, 24]);
    assert.deepEqual(bytesOf(n.answer('do', 1)), [B.IAC, B.WONT, 1], 'this client echoes nothing itself');
    assert.equal(n.answer('dont', 24), undefined, 'already off');
  });

  it('accepts the options it is given instead of the default ones', () => {
    const n = new TelnetNegotiator([31]);
    assert.deepEqual(bytesOf(n.answer('will', 31)), [B.IAC, B.DO, 31]);
    assert.deepEqual(bytesOf(n.answer('will', 1)), [B.IAC, B.DONT, 1]);
  });
});
