/** Which gateway code was probed: the commit, and whether the working tree changes the gateway's files. */
import { execFileSync } from 'node:child_process';

export interface TreeState {
  root: string;
  /** Short hash and subject; undefined outside a git checkout (an exported tree, say). */
  head?: string;
  /** Uncommitted changes (modified or new) in the gateway's source folders. */
  changed: string[];
}

const SOURCE = ['gateway', 'shared', 'redis'];

export function treeState(root: string): TreeState {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', root, ...args], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    const head = git('log', '-1', '--format=%h %s').slice(0, 100);
    const changed = git('status', '--porcelain', '--', ...SOURCE)
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3));
    return { root, head, changed };
  } catch {
    return { root, changed: [] };
  }
}

export function describeTree(t: TreeState): string {
  if (t.head === undefined) return `gateway code: ${t.root} (not a git checkout)`;
  if (t.changed.length === 0)
    return `gateway code: HEAD ${t.head} (no uncommitted changes in gateway/, shared/, redis/)`;
  return `gateway code: HEAD ${t.head}\n  + uncommitted changes in ${t.changed.length} file(s): ${t.changed.join(', ')}`;
}
