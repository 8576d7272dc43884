import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';

// The tests run from the repository root (scripts/run-tests.mjs), so paths are relative to it.
const pages = [
  'README.md',
  'bench/README.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** GitHub's heading anchor: lower case, punctuation other than '-' and '_' dropped, spaces to '-'. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(file: string): Set<string> {
  const out = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const m = !fenced ? /^#{1,6} (.*)$/.exec(line) : null;
    if (m?.[1] !== undefined) out.add(anchorOf(m[1]));
  }
  return out;
}

function relativeLinks(file: string): string[] {
  const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? '').filter((target) => !/^[a-z]+:/i.test(target));
}

describe('documentation links', () => {
  for (const page of pages) {
    it(`every relative link in ${page} names a file that exists, and a heading in it when it has an anchor`, () => {
      for (const link of relativeLinks(page)) {
        const [path = '', anchor] = link.split('#');
        const target = path === '' ? page : normalize(join(dirname(page), path));
        assert.ok(existsSync(target), `${page}: ${link} -> ${target} does not exist`);
        if (anchor !== undefined)
          assert.ok(anchors(target).has(anchor), `${page}: ${link}: no heading #${anchor} in ${target}`);
      }
    });
  }

  it('the README links every page in docs/', () => {
    const linked = new Set(relativeLinks('README.md').map((l) => l.split('#')[0]));
    for (const page of pages.filter((p) => p.startsWith('docs/')))
      assert.ok(linked.has(page), `README.md does not link ${page}`);
  });

  it('the anchor rule gives the anchors GitHub gives', () => {
    assert.equal(anchorOf('Kapacitor configuration'), 'kapacitor-configuration');
    assert.equal(anchorOf('The host: `kudf serve`'), 'the-host-kudf-serve');
    assert.equal(anchorOf('edgeDetect / edgeDetectBatch'), 'edgedetect--edgedetectbatch');
  });
});
