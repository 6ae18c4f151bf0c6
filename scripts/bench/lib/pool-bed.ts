/**
 * The pool test bed (test/e2e/support/pool-topology.ts) as the pool benchmarks use it: containers started
 * and waited for, the gateway's Node process and OpenVPN found for /proc CPU, commands run in namespaces.
 * Everything lives in the bed's namespaces; `pool.destroy()` (also on exit) removes it.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { serviceHostname } from '../../../shared/hostnames.ts';
import { startPoolContainer, vpnAddressIn } from '../../../test/e2e/pool/pool-members.ts';
import type { ContainerProcess } from '../../../test/e2e/support/container.ts';
import type { Pool } from '../../../test/e2e/support/pool-topology.ts';
import { encodeSettings } from '../../../test/e2e/support/settings.ts';

export const DOMAIN = 'bench.test';
export const FQDN = `gw.${DOMAIN}`;
export const ORG = 'benchorg';
export const PROJECT = randomUUID();
export const PUBLIC_PORT = 8080;
const ENTRYPOINT = new URL('../../../test/legacy-client/entrypoint.sh', import.meta.url).pathname;
const PROBE = new URL('../pool-probe.ts', import.meta.url).pathname;
const TSX_LOADER = new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface BedContainer {
  index: number;
  containerId: string;
  ns: string;
  host: string;
  process: ContainerProcess;
}

/** Container `index` as a legacy container with the e2e Node service (HTTP + WebSocket on 7681). */
export async function startNodeContainer(pool: Pool, index: number): Promise<BedContainer> {
  const containerId = `bench${index}`;
  const c = await startPoolContainer(pool, index, {
    kind: 'legacy',
    containerId,
    projectId: PROJECT,
    orgId: ORG,
    domain: DOMAIN,
    fqdn: FQDN,
  });
  return { index, containerId, ns: c.ns, host: c.host, process: c.process };
}

/**
 * Container `index` as a legacy container (the unchanged legacy bootstrap, its 15 s watchdog)
 * whose service is socat answering its name on 7681: a few MB per container instead of a Node process,
 * so that many fit on two cores.
 */
export async function startLightContainer(pool: Pool, index: number): Promise<BedContainer> {
  const ns = pool.containers[index - 1]?.ns;
  if (!ns) throw new Error(`the pool has no container ${index}`);
  const containerId = `bench${index}`;
  const identity = { containerId, projectId: PROJECT, orgId: ORG };
  const token = await pool.token(identity);
  // The request's head is read before answering: a socket closed with unread data sends a reset.
  const respond = `while read -r l; do [ "\${#l}" -le 1 ] && break; done; printf 'HTTP/1.1 200 OK\\r\\nContent-Length: ${containerId.length}\\r\\nConnection: close\\r\\n\\r\\n${containerId}'`;
  const script = [
    `cat > /tmp/respond.sh <<'EOF'\n${respond}\nEOF`,
    'socat TCP-LISTEN:7681,fork,reuseaddr EXEC:"sh /tmp/respond.sh" &',
    `exec sh "${ENTRYPOINT}"`,
  ].join('\n');
  const process = pool.net.spawnContainer(ns, script, {
    SETTINGS: encodeSettings({ ...identity, token, gatewayFqdn: FQDN }),
    SERVICE_NAME: 'terminal',
    SERVICE_PORT: '7681',
    // Registration retried every 3 s (as the e2e tests do); the watchdog keeps its 15 s.
    LEGACY_SERVICE_SLEEP: '3',
    LEGACY_RETRY_SLEEP: '3',
  });
  return { index, containerId, ns, host: serviceHostname({ ...identity, domain: DOMAIN }), process };
}

/** Runs pool-probe.ts in the front namespace with `input`; its JSON answer. */
export async function runProbe<T>(pool: Pool, input: object, timeoutMs: number): Promise<T> {
  const out = await pool.net.exec(
    pool.front.ns,
    process.execPath,
    ['--import', TSX_LOADER, PROBE, JSON.stringify(input)],
    { timeoutMs },
  );
  return JSON.parse(out.stdout.trim().split('\n').at(-1) ?? 'null') as T;
}

/** Same, started now and awaited later (the failover probe runs while the bench kills a gateway). */
export function startProbe<T>(pool: Pool, input: object): { done: Promise<T> } {
  const child = pool.net.spawnIn(pool.front.ns, process.execPath, [
    '--import',
    TSX_LOADER,
    PROBE,
    JSON.stringify(input),
  ]);
  return {
    done: child.exited.then((code) => {
      if (code !== 0) throw new Error(`probe exited ${code}: ${child.output().slice(-2000)}`);
      return JSON.parse(child.stdout().trim().split('\n').at(-1) ?? 'null') as T;
    }),
  };
}

interface VpnClient {
  commonName: string;
  vpnAddress: string | null;
}

/** containerId -> the gateway (1-based) whose OpenVPN holds it, over every live gateway. */
export async function holders(pool: Pool, among = [1, 2, 3]): Promise<Map<string, number>> {
  const held = new Map<string, number>();
  for (const g of among) {
    const clients = await pool.gateways[g - 1]?.gateway
      .admin<VpnClient[]>('/admin/vpn/clients')
      .catch(() => [] as VpnClient[]);
    for (const c of clients ?? []) if (c.vpnAddress) held.set(c.commonName, g);
  }
  return held;
}

/** Waits (bounded) until every container has its tunnel; returns containerId -> VPN address. */
export async function waitForTunnels(
  pool: Pool,
  containers: BedContainer[],
  timeoutMs: number,
): Promise<Map<string, string>> {
  const addresses = new Map<string, string>();
  const deadline = Date.now() + timeoutMs;
  while (addresses.size < containers.length && Date.now() < deadline) {
    for (const c of containers) {
      if (addresses.has(c.containerId)) continue;
      const address = await vpnAddressIn(pool, c.ns);
      if (address) addresses.set(c.containerId, address);
    }
    if (addresses.size < containers.length) await sleep(500);
  }
  if (addresses.size < containers.length)
    throw new Error(
      `${containers.length - addresses.size} containers without a tunnel after ${timeoutMs} ms`,
    );
  return addresses;
}

function statField(pid: number, index: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): state is field 3.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(rest[index - 3]);
}

/** utime + stime of one process (all its threads), in seconds. */
export function cpuSeconds(pid: number): number {
  return (statField(pid, 14) + statField(pid, 15)) / 100;
}

/** Gateway g's Node process (OpenVPN's parent) and its OpenVPN. */
export function gatewayPids(pool: Pool, g: number): { node: number; openvpn: number } {
  const openvpn = pool.gateways[g - 1]?.gateway.openvpnPid();
  if (!openvpn) throw new Error(`gateway ${g} has no OpenVPN`);
  return { node: statField(openvpn, 4), openvpn };
}

/** The q-quantile of `samples` (nearest rank). */
export function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}

/** Median, min and max of `samples` as "m (min-max)". */
export function spread(samples: number[], digits = 2): string {
  return `${quantile(samples, 0.5).toFixed(digits)} (${Math.min(...samples).toFixed(digits)} to ${Math.max(...samples).toFixed(digits)})`;
}
