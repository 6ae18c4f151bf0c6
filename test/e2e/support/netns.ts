/**
 * The end-to-end network topology, built from network namespaces only: nothing is
 * added to the root namespace, the 10.250.0.0/24 underlay exists inside the test's namespaces alone.
 *
 *   createTopology({ containers: N, gatewayHostnames? }) -> Topology
 *     .id                 random run id (6 hex chars); namespaces are `gw-<id>` and `uc<i>-<id>` (i = 1..N)
 *     .gw, .gwAddress     gateway namespace and its underlay address 10.250.0.1 (bridge br0)
 *     .containers[i]      { index, ns, address: 10.250.0.(index+1) } (veth `eth0`, peer `v<index>` on br0)
 *     .exec(ns, cmd, args, opts?)          `ip netns exec`, resolves {code, stdout, stderr}; throws on
 *                                          a non-zero exit unless opts.allowFailure
 *     .spawnIn(ns, cmd, args, opts?)       long-running process in a namespace -> TrackedProcess
 *     .spawnContainer(ns, script, env?)    a container (own PID + mount namespace, tmpfs /tmp) -> ContainerProcess
 *     .track(process)                      have destroy() kill a process started some other way
 *     .destroy()                           kills everything started (process groups, then every PID left
 *                                          in the namespaces), deletes namespaces and /etc/netns dirs;
 *                                          idempotent, also runs on process exit
 *
 *   createNamespaceSet({ id, namespaces, containers, hosts(ns), wire() }) -> Namespaces
 *                                        the same handle (exec, spawnIn, spawnContainer, track, destroy)
 *                                        for any other layout (pool-topology.ts); hostsLines(),
 *                                        addContainerUplink(ns) and newRunId() help build one
 *
 * Every namespace has `lo` up (with ::1), no IPv6 on its other interfaces, `/etc/netns/<ns>/hosts` (localhost, plus each gatewayHostname -> gwAddress)
 * and a resolv.conf pointing at 127.0.0.1 (lookups fail fast). Container namespaces get a default route
 * onto an unread tun device `up0` (10.252.0.2/24, default via 10.252.0.1 onlink): pings to the VPN address
 * wait instead of failing with "Network is unreachable", and nothing leaves the namespace.
 * Owners are recorded in /run/demiurge-e2e so a later run removes namespaces of a killed one.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { requireCommand } from '../../support/prerequisites.ts';
import { type ContainerProcess, startContainer } from './container.ts';
import {
  type CommandResult,
  killGroup,
  runCommand,
  type SpawnOptions,
  spawnTracked,
  type TrackedProcess,
} from './processes.ts';

const UNDERLAY = '10.250.0';
export const OWNERS_DIR = '/run/demiurge-e2e';
const MAX_CONTAINERS = 250;

export interface ContainerNamespace {
  index: number;
  ns: string;
  address: string;
}

export interface TopologyOptions {
  containers: number;
  /** Names that resolve to the gateway's underlay address in every namespace (e.g. the gateway FQDN). */
  gatewayHostnames?: string[];
}

/** A set of test namespaces and what runs in them (createNamespaceSet). */
export interface Namespaces {
  readonly id: string;
  readonly containers: readonly ContainerNamespace[];
  readonly namespaces: readonly string[];
  exec(
    ns: string,
    cmd: string,
    args: string[],
    opts?: { timeoutMs?: number; allowFailure?: boolean; env?: Record<string, string> },
  ): Promise<CommandResult>;
  spawnIn(ns: string, cmd: string, args: string[], opts?: SpawnOptions): TrackedProcess;
  spawnContainer(ns: string, script: string, env?: Record<string, string>): ContainerProcess;
  track<T extends TrackedProcess>(process: T): T;
  destroy(): Promise<void>;
}

export interface Topology extends Namespaces {
  readonly gw: string;
  readonly gwAddress: string;
}

/** Every PID still inside a namespace, SIGKILLed; the namespace and its /etc/netns dir removed. */
export function removeNamespace(ns: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // namespace already removed
  }
  try {
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  } catch {
    // already removed
  }
  rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  rmSync(`${OWNERS_DIR}/${ns}`, { force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes namespaces left by runs whose process no longer exists (killed before their exit hook ran). */
function sweepAbandoned(): void {
  let owners: string[] = [];
  try {
    owners = readdirSync(OWNERS_DIR);
  } catch {
    return;
  }
  for (const ns of owners) {
    const pid = Number.parseInt(readFileSync(`${OWNERS_DIR}/${ns}`, 'utf8'), 10);
    if (!Number.isInteger(pid) || !alive(pid)) removeNamespace(ns);
  }
}

function hostsFile(names: string[], gwAddress: string): string {
  return hostsLines(names.length > 0 ? [[gwAddress, names]] : []);
}

/** An /etc/hosts text: localhost, then one line per (address, names) pair (several lines may share a name). */
export function hostsLines(entries: [address: string, names: string[]][]): string {
  const lines = ['127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback'];
  for (const [address, names] of entries) if (names.length > 0) lines.push(`${address} ${names.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

const ip = (...args: string[]) => runCommand('ip', args);

/** A container's uplink that goes nowhere: an unread tun device `up0` holding the default route. */
export async function addContainerUplink(ns: string): Promise<void> {
  await ip('-n', ns, 'tuntap', 'add', 'mode', 'tun', 'dev', 'up0');
  await ip('-n', ns, 'link', 'set', 'up0', 'up');
  await ip('-n', ns, 'addr', 'add', '10.252.0.2/24', 'dev', 'up0');
  await ip('-n', ns, 'route', 'add', 'default', 'via', '10.252.0.1', 'dev', 'up0', 'onlink');
}

export interface NamespaceSetOptions {
  id: string;
  namespaces: string[];
  containers: ContainerNamespace[];
  /** The /etc/hosts text of a namespace. */
  hosts: (ns: string) => string;
  /** Connects the new namespaces (bridges, veths, addresses); a failure removes everything. */
  wire: () => Promise<void>;
}

/**
 * Creates a set of namespaces (owners recorded, lo up, hosts, resolv.conf, no IPv6 on new interfaces),
 * wires them, and returns the handle that runs processes in them and removes them all.
 */
export async function createNamespaceSet(options: NamespaceSetOptions): Promise<Namespaces> {
  for (const [command, pkg] of [
    ['ip', 'iproute2'],
    ['unshare', 'util-linux'],
    ['nsenter', 'util-linux'],
  ] as const)
    requireCommand(command, pkg);
  sweepAbandoned();
  const { id, namespaces, containers } = options;
  const processes = new Set<TrackedProcess>();
  let destroyed = false;

  const teardown = () => {
    if (destroyed) return;
    destroyed = true;
    process.removeListener('exit', teardown);
    for (const p of processes) killGroup(p);
    for (const ns of namespaces) removeNamespace(ns);
  };
  process.once('exit', teardown);

  try {
    mkdirSync(OWNERS_DIR, { recursive: true });
    for (const ns of namespaces) {
      writeFileSync(`${OWNERS_DIR}/${ns}`, String(process.pid));
      await ip('netns', 'add', ns);
      mkdirSync(`/etc/netns/${ns}`, { recursive: true });
      writeFileSync(`/etc/netns/${ns}/hosts`, options.hosts(ns));
      writeFileSync(`/etc/netns/${ns}/resolv.conf`, 'nameserver 127.0.0.1\n');
      // IPv6 link-local addresses finishing DAD a second after link-up read as a "network change" to a
      // Chromium started meanwhile (ERR_NETWORK_CHANGED): interfaces created from here on get no IPv6.
      await runCommand('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    await options.wire();
  } catch (error) {
    teardown();
    throw error;
  }

  const known = (ns: string) => {
    if (!namespaces.includes(ns)) throw new Error(`namespace ${ns} is not part of topology ${id}`);
    if (destroyed) throw new Error(`topology ${id} is destroyed`);
  };
  const track = <T extends TrackedProcess>(p: T): T => {
    processes.add(p);
    return p;
  };

  return {
    id,
    containers,
    namespaces,
    exec(ns, cmd, args, opts) {
      known(ns);
      return runCommand('ip', ['netns', 'exec', ns, cmd, ...args], opts);
    },
    spawnIn(ns, cmd, args, opts) {
      known(ns);
      return track(spawnTracked('ip', ['netns', 'exec', ns, cmd, ...args], opts));
    },
    spawnContainer(ns, script, env) {
      known(ns);
      return track(startContainer(ns, script, env));
    },
    track,
    async destroy() {
      const exits = [...processes].map((p) => p.exited);
      teardown();
      const bounded = new Promise((r) => setTimeout(r, 5_000).unref());
      await Promise.race([Promise.all(exits), bounded]);
    },
  };
}

/** A run id for namespace names: 6 hex characters. */
export const newRunId = (): string => randomBytes(3).toString('hex');

/** Builds the gateway namespace, N container namespaces and the bridge between them. */
export async function createTopology(options: TopologyOptions): Promise<Topology> {
  if (!Number.isInteger(options.containers) || options.containers < 0 || options.containers > MAX_CONTAINERS)
    throw new Error(`containers must be an integer 0..${MAX_CONTAINERS}`);
  const id = newRunId();
  const gw = `gw-${id}`;
  const gwAddress = `${UNDERLAY}.1`;
  const containers = Array.from({ length: options.containers }, (_, i) => ({
    index: i + 1,
    ns: `uc${i + 1}-${id}`,
    address: `${UNDERLAY}.${i + 2}`,
  }));
  const hosts = hostsFile(options.gatewayHostnames ?? [], gwAddress);
  const set = await createNamespaceSet({
    id,
    namespaces: [gw, ...containers.map((c) => c.ns)],
    containers,
    hosts: () => hosts,
    async wire() {
      await ip('-n', gw, 'link', 'add', 'br0', 'type', 'bridge');
      await ip('-n', gw, 'addr', 'add', `${gwAddress}/24`, 'dev', 'br0');
      await ip('-n', gw, 'link', 'set', 'br0', 'up');
      for (const c of containers) {
        // Both ends are created inside namespaces: no interface ever appears in the root namespace.
        await ip(
          '-n',
          gw,
          'link',
          'add',
          `v${c.index}`,
          'type',
          'veth',
          'peer',
          'name',
          'eth0',
          'netns',
          c.ns,
        );
        await ip('-n', gw, 'link', 'set', `v${c.index}`, 'master', 'br0', 'up');
        await ip('-n', c.ns, 'addr', 'add', `${c.address}/24`, 'dev', 'eth0');
        await ip('-n', c.ns, 'link', 'set', 'eth0', 'up');
        await addContainerUplink(c.ns);
      }
    },
  });
  return { ...set, gw, gwAddress };
}
