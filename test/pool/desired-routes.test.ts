/** desiredRoutes: which host routes a gateway wants from the pool's members, locations and addresses. */
import { describe, expect, it } from 'vitest';
import { desiredRoutes } from '../../gateway/pool/desired-routes.ts';
import type { ContainerLocation, GatewayMember } from '../../gateway/pool/pool-state.ts';

const NOW = 1_000_000;
const DEAD_AFTER = 6_000;

function member(id: string, backbone: string | null, lastBeat = NOW - 1_000): GatewayMember {
  return { id, backbone, vpnRemote: null, version: 'test', startedAt: 0, lastBeat, draining: false };
}
function at(containerId: string, gatewayId: string, epoch = 1): ContainerLocation {
  return { containerId, gatewayId, epoch, since: NOW - 5_000 };
}
const addresses = new Map([
  ['c1', '172.16.0.10'],
  ['c2', '172.16.0.11'],
  ['c3', '172.16.0.12'],
  ['c4', '172.16.0.13'],
]);
const compute = (members: GatewayMember[], locations: ContainerLocation[], addrs = addresses) =>
  desiredRoutes({ selfId: 'gw-a', members, locations, addresses: addrs, now: NOW, deadAfterMs: DEAD_AFTER });

describe('desiredRoutes', () => {
  const members = [member('gw-a', '10.251.0.1'), member('gw-b', '10.251.0.2'), member('gw-c', '10.251.0.3')];

  it('routes each container held by a live peer via that peer, and none held here', () => {
    const routes = compute(members, [at('c1', 'gw-a'), at('c2', 'gw-b'), at('c3', 'gw-c'), at('c4', 'gw-b')]);
    expect([...routes].sort()).toEqual([
      ['172.16.0.11', '10.251.0.2'],
      ['172.16.0.12', '10.251.0.3'],
      ['172.16.0.13', '10.251.0.2'],
    ]);
  });

  it('leaves out containers of a peer whose last heartbeat is older than deadAfterMs', () => {
    const stale = [member('gw-a', '10.251.0.1'), member('gw-b', '10.251.0.2', NOW - DEAD_AFTER - 1)];
    expect(compute(stale, [at('c2', 'gw-b')]).size).toBe(0);
    const justAlive = [member('gw-a', '10.251.0.1'), member('gw-b', '10.251.0.2', NOW - DEAD_AFTER)];
    expect(compute(justAlive, [at('c2', 'gw-b')]).get('172.16.0.11')).toBe('10.251.0.2');
  });

  it('leaves out containers of a peer that is not a member or has no (valid) backbone address', () => {
    const odd = [member('gw-a', '10.251.0.1'), member('gw-b', null), member('gw-c', '10.251.0.3; reboot')];
    expect(compute(odd, [at('c1', 'gw-x'), at('c2', 'gw-b'), at('c3', 'gw-c')]).size).toBe(0);
  });

  it("leaves out a peer that announces this gateway's own backbone address", () => {
    const copied = [member('gw-a', '10.251.0.1'), member('gw-b', '10.251.0.1')];
    expect(compute(copied, [at('c2', 'gw-b')]).size).toBe(0);
  });

  it('leaves out containers without an address, or with one that is not IPv4', () => {
    const addrs = new Map([
      ['c2', '172.16.0.11 via 1.2.3.4'],
      ['c3', 'fd00::1'],
    ]);
    expect(compute(members, [at('c1', 'gw-b'), at('c2', 'gw-b'), at('c3', 'gw-b')], addrs).size).toBe(0);
  });

  it("keeps a draining peer's containers routed (it holds their tunnels until it stops)", () => {
    const draining = [member('gw-a', '10.251.0.1'), { ...member('gw-b', '10.251.0.2'), draining: true }];
    expect(compute(draining, [at('c2', 'gw-b')]).get('172.16.0.11')).toBe('10.251.0.2');
  });
});
