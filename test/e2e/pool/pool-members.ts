/**
 * The containers of the pool test bed and how the test reaches them: legacy containers (the unchanged
 * legacy bootstrap) and agent containers (the compiled agent's `run`), each in its own namespace on the
 * underlay, plus a WebSocket client that runs in the front namespace.
 *
 *   startPoolContainer(pool, index, spec) -> PoolContainer   { kind, containerId, host, ns, process }
 *   openWebSocket(pool, url, address)      a node `ws` client in fr dialling `address` for the URL's host:
 *     .waitFor(pattern) (its output: 'open', 'message <text>', 'closed <code>'), .send(text), .process
 *   vpnAddressIn(pool, ns)                 the container's tun0 address, or null
 */
import { fileURLToPath } from 'node:url';
import { serviceHostname } from '../../../shared/hostnames.ts';
import { startAgentContainer } from '../agent/agent-container.ts';
import type { ContainerProcess } from '../support/container.ts';
import type { Pool } from '../support/pool-topology.ts';
import type { TrackedProcess } from '../support/processes.ts';
import { startLegacyContainer, vpnAddressOf } from '../vpn/legacy-container.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** The legacy intervals shortened (15 s -> 3 s), as in legacy-clients.test.ts: the wire is unchanged. */
const LEGACY_ENV = { LEGACY_SLEEP: '3', LEGACY_SERVICE_SLEEP: '3', LEGACY_RETRY_SLEEP: '3' };

export interface PoolContainerSpec {
  kind: 'legacy' | 'agent';
  containerId: string;
  projectId: string;
  orgId: string;
  domain: string;
  fqdn: string;
  /** The agent's `--service` specs (default web:8080:public). */
  services?: string[];
  /** The compiled agent (agent containers). */
  agent?: string;
  caPem?: string;
}

export interface PoolContainer {
  readonly kind: 'legacy' | 'agent';
  readonly containerId: string;
  readonly host: string;
  readonly ns: string;
  process: ContainerProcess;
}

/** Starts container `index` (1-based) of the pool. */
export async function startPoolContainer(
  pool: Pool,
  index: number,
  spec: PoolContainerSpec,
): Promise<PoolContainer> {
  const ns = pool.containers[index - 1]?.ns;
  if (!ns) throw new Error(`the pool has no container ${index}`);
  const identity = { containerId: spec.containerId, projectId: spec.projectId, orgId: spec.orgId };
  const token = await pool.token(identity);
  const host = serviceHostname({ ...identity, domain: spec.domain });
  const process =
    spec.kind === 'legacy'
      ? startLegacyContainer(pool.net, ns, {
          ...identity,
          token,
          gatewayFqdn: spec.fqdn,
          legacyEnv: LEGACY_ENV,
        })
      : startAgentContainer(pool.net, ns, {
          ...identity,
          token,
          agent: spec.agent ?? '',
          gatewayFqdn: spec.fqdn,
          caPem: spec.caPem ?? '',
          entrypoint: `exec "$DEMIURGE_AGENT" run ${(spec.services ?? ['web:8080:public']).map((x) => `--service ${x}`).join(' ')}`,
        });
  return { kind: spec.kind, containerId: spec.containerId, host, ns, process };
}

export const vpnAddressIn = (pool: Pool, ns: string) => vpnAddressOf(pool.net, ns);

export interface WebSocketClient {
  readonly process: TrackedProcess;
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<RegExpMatchArray>;
}

/**
 * A WebSocket from fr to `url` (ws://host:port/path) whose host is dialled at `address`; it sends
 * `hello` once open and prints what happens.
 */
export function openWebSocket(pool: Pool, url: string, address: string): WebSocketClient {
  const script = `const ws = new (require('ws'))(${JSON.stringify(url)}, {
      lookup: (host, options, callback) => options && options.all
        ? callback(null, [{ address: ${JSON.stringify(address)}, family: 4 }])
        : callback(null, ${JSON.stringify(address)}, 4) });
    ws.on('open', () => { console.log('open'); ws.send('hello'); });
    ws.on('message', (m) => console.log('message ' + String(m)));
    ws.on('close', (code) => { console.log('closed ' + code); process.exit(0); });
    ws.on('error', (e) => console.log('error ' + e.message));`;
  const process = pool.net.spawnIn(pool.front.ns, globalThis.process.execPath, ['-e', script], { cwd: REPO });
  return { process, waitFor: (pattern, timeoutMs = 10_000) => process.waitForOutput(pattern, timeoutMs) };
}
