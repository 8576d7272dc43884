import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { describeProvenance, provenance } from '../../../bench/internal.js';

describe('bench: what the figures were measured on', () => {
  it("names the checkout's commit, the core count, the CPU model and the Node version", () => {
    const p = provenance();
    assert.equal(p.commit, execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim());
    assert.equal(
      p.dirty,
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '',
    );
    assert.equal(p.cores, availableParallelism());
    assert.equal(p.cpuModel, cpus()[0]?.model.trim());
    assert.equal(p.node, process.version);
    const line = describeProvenance(p);
    assert.ok(line.startsWith(`commit ${p.commit.slice(0, 7)}`), line);
    assert.ok(line.includes(`${p.cores} cores, ${p.cpuModel}, Node ${process.version}`), line);
  });

  it('says the commit is unknown outside a git checkout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kudf-bench-machine-'));
    try {
      const p = provenance(dir);
      assert.equal(p.commit, 'unknown');
      assert.equal(p.dirty, false);
      assert.ok(describeProvenance(p).startsWith('commit unknown, '));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('marks figures taken on uncommitted changes', () => {
    const line = describeProvenance({
      commit: 'a'.repeat(40),
      dirty: true,
      cores: 2,
      cpuModel: 'X',
      node: 'v20.0.0',
      os: 'Linux 6',
      memoryBytes: 2 ** 31,
    });
    assert.equal(line, 'commit aaaaaaa (uncommitted changes), 2 cores, X, Node v20.0.0, Linux 6, 2.0 GiB');
  });
});
