/**
 * The repository stands alone: no markdown file links or points to a path outside it (a `../` link or a
 * code span that climbs above the repository's root, as `../../shared/...` once did).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..', '..');
const SKIP = new Set(['node_modules', '.git', '.data']);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name) || entry.name.startsWith('.')) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

/** Relative targets of links (`](target)`) and of code spans that start with `../`. */
const TARGETS = /\]\((\.\.\/[^)\s#]*)|`(\.\.\/[^`\s]*)`/g;

/** Each `file: target` whose target resolves outside the repository. */
function linksOutside(file: string, text: string, root = ROOT): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(TARGETS)) {
    const target = (match[1] ?? match[2]) as string;
    if (relative(root, resolve(dirname(file), target)).startsWith('..'))
      found.push(`${relative(root, file)}: ${target}`);
  }
  return found;
}

describe('markdown links', () => {
  it('finds a link that climbs out, and leaves one inside alone', () => {
    const readme = join(ROOT, 'images', 'README.md');
    expect(linksOutside(readme, 'see [it](../../shared/LEGACY-PROTOCOL.md) and `../../x.md`')).toEqual([
      'images/README.md: ../../shared/LEGACY-PROTOCOL.md',
      'images/README.md: ../../x.md',
    ]);
    expect(linksOutside(readme, 'see [it](../docs/legacy-protocol.md) and `../gateway/`')).toEqual([]);
  });

  it('no markdown file in the repository points outside it', () => {
    const files = markdownFiles(ROOT);
    expect(files.length).toBeGreaterThan(5);
    expect(files.flatMap((file) => linksOutside(file, readFileSync(file, 'utf8')))).toEqual([]);
  });
});
