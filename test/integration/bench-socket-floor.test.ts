import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { measureSocketFloor } from '../../bench/internal.js';

// The floor program is what the bench page's kernel figures come from: it must measure the
// pattern it names. Counts are checked here, never times.
describe('bench: the socket floor program', () => {
  const frames = 3000;
  const results = measureSocketFloor({ frames, bodyBytes: 200, framesPerRead: [1, 100] });
  const find = (transport: string, writes: string, perRead: number) => {
    const r = results.find((x) => x.transport === transport && x.writes === writes && x.framesPerRead === perRead);
    assert.ok(r, `no ${transport} ${writes} ${perRead}/read result in ${JSON.stringify(results)}`);
    return r;
  };

  it('measures both write modes at every count of frames a read, on a socket and on a pipe', () => {
    assert.deepEqual(
      results.map((r) => `${r.transport} ${r.writes} ${r.framesPerRead}`),
      [
        'socket kapacitor 1',
        'socket kapacitor 100',
        'socket chunked 1',
        'socket chunked 100',
        'pipe kapacitor 1',
        'pipe kapacitor 100',
        'pipe chunked 1',
        'pipe chunked 100',
      ],
    );
    for (const r of results) {
      assert.equal(r.frames, frames);
      assert.equal(r.frameBytes, 202, 'a 200-byte body and its two-byte length prefix');
      for (const v of [r.readerCpuUsPerFrame, r.writerCpuUsPerFrame]) {
        assert.ok(Number.isFinite(v) && v >= 0, JSON.stringify(r));
      }
    }
  });

  it("drains a queue of two-write frames in one read, as the host's held read does", () => {
    // One read returns every buffer queued, the two of each frame included: the reader's kernel
    // time is paid per buffer, not per read.
    for (const transport of ['socket', 'pipe']) {
      assert.equal(find(transport, 'kapacitor', 100).reads, frames / 100);
      assert.equal(find(transport, 'kapacitor', 1).reads, frames);
      assert.equal(find(transport, 'chunked', 100).reads, frames / 100);
    }
  });
});
