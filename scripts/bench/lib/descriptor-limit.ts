import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const RAISED = 'DG_BENCH_NOFILE_RAISED';

/** This process's soft and hard RLIMIT_NOFILE (children inherit both). */
export function descriptorLimits(): { soft: number; hard: number } {
  const line = /^Max open files\s+(\d+)\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return { soft: Number(line?.[1] ?? 1024), hard: Number(line?.[2] ?? 1024) };
}

/**
 * Node cannot raise its own RLIMIT_NOFILE: when the soft limit is below the hard one, runs this script
 * again under `prlimit --nofile=<hard>` (so the proxies, the echo upstream and the load workers inherit
 * it) and exits with its status. Returns the limit now in force otherwise.
 */
export function runWithRaisedDescriptorLimit(): number {
  const { soft, hard } = descriptorLimits();
  if (soft >= hard || process.env[RAISED]) return soft;
  const result = spawnSync(
    'prlimit',
    [`--nofile=${hard}:${hard}`, process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit', env: { ...process.env, [RAISED]: '1' } },
  );
  process.exit(result.status ?? 1);
}
