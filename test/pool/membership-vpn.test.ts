/**
 * Locations from a real OpenVPN (issue 16, design point 3), end to end in namespaces the test creates:
 * the gateway with its OpenVPN and Redis in `gw-<id>`, one unchanged legacy container in `uc1-<id>`.
 * The container's tunnel established: its location names this gateway; OpenVPN killed and restarted by
 * the supervisor: the client is established again and set again with a newer epoch; the container
 * revoked (its client killed): the location is cleared.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GatewayRow } from '../../gateway/pool/pool-inventory.ts';
import type { ContainerProcess } from '../e2e/support/container.ts';
import { curlIn } from '../e2e/support/curl-in.ts';
import { createTopology, type Topology } from '../e2e/support/netns.ts';
import { startVpnGateway, type VpnGateway } from '../e2e/support/vpn-gateway.ts';
import { startLegacyContainer } from '../e2e/vpn/legacy-container.ts';
import { waitUntil } from '../e2e/vpn/wait.ts';

const DOMAIN = 'e2e.test';
const FQDN = `gw.${DOMAIN}`;
const GATEWAY_ID = 'gw-loc';
const C1 = { containerId: 'uc_loc1', projectId: randomUUID(), orgId: 'e2eorg1' };
const LEGACY_ENV = { LEGACY_SLEEP: '3', LEGACY_SERVICE_SLEEP: '3', LEGACY_RETRY_SLEEP: '3' };

interface Location {
  gatewayId: string;
  epoch: number;
}

describe('container locations from OpenVPN', () => {
  let topology: Topology | undefined;
  let gateway: VpnGateway | undefined;
  let uc1: ContainerProcess | undefined;
  const gw = () => {
    if (!gateway) throw new Error('the gateway did not start');
    return gateway;
  };
  const location = async (): Promise<Location | null> => {
    const text = await gw().redis('HGET', 'dg:{pool}:locations', C1.containerId);
    return text ? (JSON.parse(text) as Location) : null;
  };
  const failure = () => `\nuc1:\n${uc1?.output().slice(-1500)}\ngateway:\n${gw().output().slice(-2000)}`;

  beforeAll(async () => {
    topology = await createTopology({ containers: 1, gatewayHostnames: [FQDN] });
    gateway = await startVpnGateway({ topology, domain: DOMAIN, fqdn: FQDN, env: { GATEWAY_ID } });
    const token = await gateway.token(C1);
    const ns = topology.containers[0]?.ns ?? '';
    uc1 = startLegacyContainer(topology, ns, { ...C1, gatewayFqdn: FQDN, legacyEnv: LEGACY_ENV, token });
  }, 90_000);
  afterAll(async () => {
    try {
      await gateway?.close();
    } finally {
      await topology?.destroy();
    }
  }, 30_000);

  test('an established tunnel is located at this gateway, set again after an OpenVPN restart, cleared when cut', async () => {
    const first = await waitUntil('uc1 located', location, 60_000, failure);
    expect(first.gatewayId).toBe(GATEWAY_ID);
    const rows = await gw().admin<GatewayRow[]>('/admin/gateways');
    expect(rows).toEqual([expect.objectContaining({ id: GATEWAY_ID, state: 'alive', containers: 1 })]);
    expect(rows[0]?.vpnRemote).toBe(`${FQDN}:1194`);
    const metrics = (await curlIn(gw().inGw, `${gw().adminUrl}/metrics`)).body;
    expect(metrics).toContain('\ngateway_pool_located_containers 1\n');

    const openvpn = gw().openvpnPid();
    expect(openvpn).not.toBeNull();
    process.kill(openvpn as number, 'SIGKILL');
    const again = await waitUntil(
      'uc1 located again after the OpenVPN restart',
      async () => {
        const now = await location();
        return now && now.epoch > first.epoch ? now : null;
      },
      90_000,
      failure,
    );
    expect(again.gatewayId).toBe(GATEWAY_ID);

    await gw().admin(`/admin/containers/${C1.containerId}/revoke`, 'POST');
    await waitUntil(
      'uc1 location cleared',
      async () => ((await location()) === null ? true : null),
      30_000,
      failure,
    );
  }, 240_000);
});
