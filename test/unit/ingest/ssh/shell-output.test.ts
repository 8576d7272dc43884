import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ShellOutputCollector, cleanTerminalText } from '../../../../src/ingest/ssh/index.js';
import { DEFAULT_PAGER, DEFAULT_PROMPT } from '../../../../src/ingest/config/index.js';

// The device stops after the pager until it gets a space, so the two parts never share a chunk.
const page1 = 'show dsl\r\nStatus: Showtime\r\nSNR: 6.9\r\n --More-- ';
const page2 = '\r          \rAttn: 31.0\r\nrouter> ';
const transcript = page1 + page2;

function feed(chunks: string[]): { events: string[]; out: string } {
  const c = new ShellOutputCollector('router>', DEFAULT_PAGER);
  const events: string[] = [];
  for (const ch of chunks) {
    const ev = c.push(ch);
    if (ev !== 'more') events.push(ev);
    // The session stops reading at the first prompt, as here.
    if (ev === 'prompt') break;
  }
  return { events, out: c.output('show dsl') };
}

describe('shell output collection', () => {
  it('answers the pager once and ends at the prompt, whatever the chunking', () => {
    for (let cut = 1; cut < page1.length + page2.length - 1; cut += 1) {
      const chunks =
        cut < page1.length
          ? [page1.slice(0, cut), page1.slice(cut), page2]
          : [page1, page2.slice(0, cut - page1.length), page2.slice(cut - page1.length)];
      const { events, out } = feed(chunks.filter((c) => c !== ''));
      assert.deepEqual(events.filter((e) => e === 'pager').length, 1, `cut at ${cut}`);
      assert.equal(events.at(-1), 'prompt', `cut at ${cut}`);
      assert.equal(out, 'Status: Showtime\nSNR: 6.9\nAttn: 31.0\n', `cut at ${cut}`);
    }
  });

  it('works when fed one character at a time', () => {
    const { events, out } = feed([...transcript]);
    assert.deepEqual(events, ['pager', 'prompt']);
    assert.equal(out, 'Status: Showtime\nSNR: 6.9\nAttn: 31.0\n');
  });

  it('does not mistake a line that ends in > for the learned prompt', () => {
    const c = new ShellOutputCollector('router>', DEFAULT_PAGER);
    assert.equal(c.push('value => 5\r\nrouter'), 'more');
    assert.equal(c.push('> '), 'prompt');
  });

  it('recognises common prompts with the default pattern', () => {
    for (const p of ['router> ', 'admin@dsl# ', '[root@gw ~]# ', 'BusyBox $ ']) {
      assert.equal(new ShellOutputCollector(DEFAULT_PROMPT, DEFAULT_PAGER).push(`banner\r\n${p}`), 'prompt', p);
    }
    assert.equal(new ShellOutputCollector(DEFAULT_PROMPT, DEFAULT_PAGER).push('Welcome\r\n'), 'more');
  });

  it('cleans escape sequences, backspaces and carriage-return overwrites', () => {
    assert.equal(
      cleanTerminalText('\x1b[1mBold\x1b[0m\r\nab\bc\r\n--More--\r        \rnext  \r\n'),
      'Bold\nac\nnext\n',
    );
  });
});
