/**
 * Which kernel host routes this gateway wants (issue 16, design point 4): one `<address>/32 via
 * <holder's backbone address>` per container whose tunnel a live peer holds. Pure: the store's view in,
 * the desired map out. Containers held here need none (tun0's subnet route reaches them).
 */
import { isIPv4 } from 'node:net';
import type { ContainerLocation, GatewayMember } from './pool-state.ts';

export interface DesiredRoutesInput {
  /** This gateway's GATEWAY_ID. */
  selfId: string;
  members: readonly GatewayMember[];
  locations: readonly ContainerLocation[];
  /** Container id -> VPN address (VpnStateStore.listAddresses). */
  addresses: ReadonlyMap<string, string>;
  /** Epoch ms now, and how old a member's last heartbeat may be for it to count as alive. */
  now: number;
  deadAfterMs: number;
}

/** Container address -> backbone address of the live peer holding its tunnel. */
export function desiredRoutes(input: DesiredRoutesInput): Map<string, string> {
  const via = new Map<string, string>();
  // A peer announcing this gateway's own backbone address (a copied setting) would route to itself.
  const own = input.members.find((m) => m.id === input.selfId)?.backbone ?? null;
  for (const member of input.members) {
    if (member.id === input.selfId || member.backbone === null || !isIPv4(member.backbone)) continue;
    if (member.backbone === own) continue;
    if (input.now - member.lastBeat > input.deadAfterMs) continue;
    via.set(member.id, member.backbone);
  }
  const routes = new Map<string, string>();
  for (const location of input.locations) {
    const backbone = via.get(location.gatewayId);
    if (backbone === undefined) continue;
    const address = input.addresses.get(location.containerId);
    if (address === undefined || !isIPv4(address)) continue;
    routes.set(address, backbone);
  }
  return routes;
}
