/**
 * The operator's view of the pool (`GET /admin/gateways`, `gatewayctl gateways`): each member with its
 * state (alive, draining, dead) and the number of containers whose tunnel it holds.
 */
import type { MemberState } from './membership.ts';
import type { GatewayMember, PoolStateStore } from './pool-state.ts';

export interface GatewayRow extends GatewayMember {
  state: MemberState;
  /** Age of the last heartbeat in ms. */
  lastBeatAgoMs: number;
  /** Containers whose location names this gateway. */
  containers: number;
}

/** Dead when the last beat is older than `deadAfterMs` (for a reader that has not watched the beats). */
export const stateByAge =
  (deadAfterMs: number, now: () => number = Date.now) =>
  (m: GatewayMember): MemberState =>
    now() - m.lastBeat > deadAfterMs ? 'dead' : m.draining ? 'draining' : 'alive';

export async function listGateways(
  state: PoolStateStore,
  stateOf: (m: GatewayMember) => MemberState,
  now: () => number = Date.now,
): Promise<GatewayRow[]> {
  const [members, locations] = await Promise.all([state.members(), state.locations()]);
  const held = new Map<string, number>();
  for (const l of locations) held.set(l.gatewayId, (held.get(l.gatewayId) ?? 0) + 1);
  const at = now();
  return members.map((m) => ({
    ...m,
    state: stateOf(m),
    lastBeatAgoMs: Math.max(0, at - m.lastBeat),
    containers: held.get(m.id) ?? 0,
  }));
}
