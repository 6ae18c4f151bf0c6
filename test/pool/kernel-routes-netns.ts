/**
 * Network namespaces for the pool's kernel tests (kernel routes, forwarding): made by the test, removed
 * by it (and on process exit). Nothing is added to the root namespace: every link is created inside a
 * test namespace, every private-range address lives there. Owners are recorded, and namespaces removed,
 * by test/e2e/support/netns.ts's own functions, so a later e2e run removes namespaces of a killed run.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { OWNERS_DIR, removeNamespace } from '../e2e/support/netns.ts';
import { requireCommand } from '../support/prerequisites.ts';

const run = promisify(execFile);

export interface PoolNamespaces {
  /** The namespace's full name for a short one given to createNamespaces. */
  ns(short: string): string;
  /** `ip -n <ns> ...`, throwing with ip's stderr on failure. */
  ip(short: string, ...args: string[]): string;
  /** `ip netns exec <ns> cmd args`, resolving stdout; rejects on a non-zero exit. */
  exec(short: string, cmd: string, args: string[], timeoutMs?: number): Promise<string>;
  /** The prefix that runs a command inside a namespace (KernelRoutes' commandPrefix). */
  prefix(short: string): string[];
  remove(): void;
}

/** Creates one namespace per short name (`lo` up, IPv6 off on new links), named `pk<id>-<short>`. */
export function createNamespaces(shorts: string[]): PoolNamespaces {
  requireCommand('ip', 'iproute2');
  requireCommand('sysctl', 'procps');
  if (process.getuid?.() !== 0) throw new Error('network namespace tests need root (ip netns add)');
  const id = randomBytes(3).toString('hex');
  const full = (short: string) => {
    if (!shorts.includes(short)) throw new Error(`unknown namespace ${short}`);
    return `pk${id}-${short}`;
  };
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    process.removeListener('exit', remove);
    for (const short of shorts) removeNamespace(full(short));
  };
  process.once('exit', remove);
  const ip = (short: string, ...args: string[]) => {
    try {
      return execFileSync('ip', ['-n', full(short), ...args], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
      throw new Error(`ip -n ${full(short)} ${args.join(' ')}: ${stderr}`);
    }
  };
  try {
    mkdirSync(OWNERS_DIR, { recursive: true });
    for (const short of shorts) {
      writeFileSync(`${OWNERS_DIR}/${full(short)}`, String(process.pid));
      execFileSync('ip', ['netns', 'add', full(short)], { stdio: 'pipe' });
      execFileSync('ip', [
        'netns',
        'exec',
        full(short),
        'sysctl',
        '-qw',
        'net.ipv6.conf.default.disable_ipv6=1',
      ]);
      ip(short, 'link', 'set', 'lo', 'up');
    }
  } catch (error) {
    remove();
    throw error;
  }
  return {
    ns: full,
    ip,
    async exec(short, cmd, args, timeoutMs = 15_000) {
      const { stdout } = await run('ip', ['netns', 'exec', full(short), cmd, ...args], {
        timeout: timeoutMs,
      });
      return stdout;
    },
    prefix: (short) => ['ip', 'netns', 'exec', full(short)],
    remove,
  };
}
