// The documentation explains the repository by itself: every relative link in README.md, docs/, test/README.md
// and the chart README names a file that exists and, with #anchor, a heading of that file (GitHub's slugs);
// and code comments cite docs/ for the contracts, not design notes that are not in the repository.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const docs = ['README.md', 'test/README.md', 'charts/tenant-sync/README.md', ...readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)].filter((f) =>
  existsSync(join(repoRoot, f)),
);

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes (duplicates get -1, -2, …). */
function githubSlug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[`*_~]/g, '')
    .replace(/[^\p{L}\p{N}\- ]/gu, '')
    .replace(/ /g, '-');
}

function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let inCode = false;
  for (const line of markdown.split('\n')) {
    if (line.trimStart().startsWith('```')) inCode = !inCode;
    const m = !inCode && /^#{1,6} (.*)$/.exec(line);
    if (!m) continue;
    const slug = githubSlug(m[1]!);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

function linksOf(markdown: string): string[] {
  const withoutCode = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((l) => !/^(https?:|mailto:)/.test(l));
}

describe('documentation links', () => {
  it.each(docs)('%s: every relative link names an existing file and heading', (doc) => {
    const text = readFileSync(join(repoRoot, doc), 'utf8');
    const broken: string[] = [];
    for (const link of linksOf(text)) {
      const [path = '', anchor] = link.split('#');
      const target = path === '' ? join(repoRoot, doc) : join(repoRoot, dirname(doc), path);
      if (!existsSync(target)) {
        broken.push(`${link} (no file ${relative(repoRoot, target)})`);
        continue;
      }
      if (anchor !== undefined && target.endsWith('.md') && !anchorsOf(readFileSync(target, 'utf8')).has(anchor)) {
        broken.push(`${link} (no heading #${anchor} in ${relative(repoRoot, target)})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('code comments cite docs/ for the contracts, never design notes outside the repository', () => {
    const citing: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
        const path = `${dir}/${entry.name}`;
        if (entry.isDirectory()) walk(path);
        else if (/\.(ts|go|sh|yaml)$/.test(entry.name) && !path.endsWith('docs-links.test.ts') && readFileSync(join(repoRoot, path), 'utf8').includes('ARCHITECTURE.md')) citing.push(path);
      }
    };
    for (const dir of ['operator', 'sync-job', 'test', 'charts', 'bench']) walk(dir);
    expect(citing).toEqual([]);
  });

  it('slugs headings as GitHub does', () => {
    expect(githubSlug('Cursor rules (at-least-once, never skip)')).toBe('cursor-rules-at-least-once-never-skip');
    expect(githubSlug('CI: `.ci/run`')).toBe('ci-cirun');
    expect(githubSlug('6. The operator')).toBe('6-the-operator');
  });
});
