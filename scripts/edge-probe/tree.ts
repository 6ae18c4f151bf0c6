/** Which gateway code was probed: the commit, and whether the working tree changes the gateway's files. */
import { execFileSync } from 'node:child_process';

export interface TreeState {
  head: string;
  /** Uncommitted changes (modified or new) in the gateway's source folders. */
  changed: string[];
}

const SOURCE = ['gateway', 'shared', 'redis'];

export function treeState(root: string): TreeState {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', timeout: 10_000 }).trim();
  try {
    const head = git('log', '-1', '--format=%h %s').slice(0, 100);
    const changed = git('status', '--porcelain', '--', ...SOURCE)
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3));
    return { head, changed };
  } catch {
    return { head: 'unknown (not a git checkout?)', changed: [] };
  }
}

export const describeTree = (t: TreeState) =>
  `gateway code: HEAD ${t.head}` +
  (t.changed.length === 0
    ? ' (no uncommitted changes in gateway/, shared/, redis/)'
    : `\n  + uncommitted changes in ${t.changed.length} file(s): ${t.changed.join(', ')}`);
