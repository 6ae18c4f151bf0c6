/** Reads a process tree's resources from /proc (Linux): open descriptors and resident memory. */
import { readdirSync, readFileSync } from 'node:fs';

function children(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      map.set(ppid, [...(map.get(ppid) ?? []), pid]);
    } catch {
      // exited meanwhile
    }
  }
  return map;
}

/** The pid and its descendants. */
export function tree(root: number): number[] {
  const kids = children();
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop() as number;
    out.push(pid);
    todo.push(...(kids.get(pid) ?? []));
  }
  return out;
}

const statusField = (pid: number, field: string) => {
  try {
    return (
      Number(
        new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ??
          0,
      ) * 1024
    );
  } catch {
    return 0;
  }
};

/** Resident bytes of the whole tree. */
export const treeRss = (root: number) => tree(root).reduce((sum, pid) => sum + statusField(pid, 'VmRSS'), 0);

/** Open file descriptors of the whole tree (sockets included). */
export function treeFds(root: number): number {
  let n = 0;
  for (const pid of tree(root)) {
    try {
      n += readdirSync(`/proc/${pid}/fd`).length;
    } catch {
      // exited meanwhile
    }
  }
  return n;
}
