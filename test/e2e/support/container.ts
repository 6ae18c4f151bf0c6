/**
 * A simulated user container: a shell script in a network namespace AND its own PID and mount namespace
 * (so the legacy client's `pgrep`/`pkill openvpn` see only the container's processes), with a private
 * tmpfs on /tmp (keys and tokens never land on the host) as its working directory. The host's /tmp is
 * therefore hidden inside: put files a container must see (scripts, stub binaries) elsewhere (the
 * repository, /var/tmp).
 *
 *   startContainer(ns, script, env) -> ContainerProcess   (a TrackedProcess, plus:)
 *     .initPid()                 host PID of the container's PID 1 (the `sh` running the script)
 *     .exec(cmd, args, opts)     runs a command inside the container (same net, PID and mount namespaces),
 *                                e.g. `exec('cat', ['/tmp/client.ovpn'])`. When the container's PID 1 exits,
 *                                the kernel SIGKILLs whatever still runs in its PID namespace, exec'd
 *                                commands included: a script must not end while the test still runs one.
 * Use it through `Topology.spawnContainer`, which tracks the process for teardown.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type CommandResult, runCommand, spawnTracked, type TrackedProcess } from './processes.ts';

export interface ContainerProcess extends TrackedProcess {
  initPid(): Promise<number>;
  exec(
    cmd: string,
    args: string[],
    opts?: { timeoutMs?: number; allowFailure?: boolean },
  ): Promise<CommandResult>;
}

const REPO = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');
const KEEP = '/run/dg-e2e-host-tmp';
/**
 * A private tmpfs on /tmp; when the checkout itself lives under /tmp (a CI clone may), it is bound back
 * in place so the container still sees the repository's scripts and node_modules.
 */
const PREAMBLE = REPO.startsWith('/tmp/')
  ? `mkdir -p ${KEEP} && mount --bind /tmp ${KEEP} || exit 96; mount -t tmpfs -o mode=1777 tmpfs /tmp || exit 97; ` +
    `mkdir -p '${REPO}' && mount --bind '${KEEP}${REPO.slice(4)}' '${REPO}' || exit 95; umount -l ${KEEP}; cd /tmp || exit 98; `
  : 'mount -t tmpfs -o mode=1777 tmpfs /tmp || exit 97; cd /tmp || exit 98; ';

/** `unshare --fork` makes the script's shell a child of unshare: that child is PID 1 inside. */
async function findInitPid(unsharePid: number, exited: () => boolean): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    let children = '';
    try {
      children = readFileSync(`/proc/${unsharePid}/task/${unsharePid}/children`, 'utf8').trim();
    } catch {
      // not started yet, or gone
    }
    const first = Number.parseInt(children.split(/\s+/)[0] ?? '', 10);
    if (Number.isInteger(first) && first > 0) return first;
    if (exited()) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`container (unshare pid ${unsharePid}) has no init process`);
}

/** Starts `script` (POSIX sh) as a container in network namespace `ns`. */
export function startContainer(
  ns: string,
  script: string,
  env: Record<string, string> = {},
): ContainerProcess {
  const tracked = spawnTracked(
    'ip',
    ['netns', 'exec', ns, 'unshare', '--pid', '--fork', '--mount-proc', 'sh', '-c', PREAMBLE + script],
    { env },
  );
  let init: Promise<number> | undefined;
  const initPid = () => {
    init ??= findInitPid(tracked.pid, () => tracked.child.exitCode !== null);
    return init;
  };
  return {
    ...tracked,
    initPid,
    async exec(cmd, args, opts = {}) {
      const pid = await initPid();
      return runCommand('nsenter', ['-t', String(pid), '-m', '-p', '-n', '--', cmd, ...args], opts);
    },
  };
}
