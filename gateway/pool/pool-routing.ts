/**
 * Wires the pool's kernel routes into a gateway (issue 16, design point 4), only with VPN_ENABLED and a
 * BACKBONE_ADDRESS: the holder's forwarding (forwarding.ts) and the route sync (route-sync.ts) that keeps
 * one host route per container held by a live peer. A failure to set up forwarding is logged
 * (GW_ERR_FORWARDING) and the gateway runs on: it still reaches its peers' containers, and serves its own.
 */
import { ErrorCode } from '../../shared/errors.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { StoreChange } from '../store/store.ts';
import type { VpnStateStore } from '../vpn/vpn-state.ts';
import { type HolderForwarding, startForwarding } from './forwarding.ts';
import { KernelRoutes } from './kernel-routes.ts';
import type { Membership } from './membership.ts';
import type { PoolStateStore } from './pool-state.ts';
import { startRouteSync } from './route-sync.ts';
import { RouteSyncMetrics } from './route-sync-metrics.ts';

/** OpenVPN's device (vpn-manager.ts names it). */
const TUNNEL_DEVICE = 'tun0';

export interface PoolRoutingDeps {
  config: Pick<Config, 'VPN_ENABLED' | 'BACKBONE_ADDRESS' | 'GATEWAY_ID' | 'VPN_SUBNET' | 'POOL_DEAD_AFTER'>;
  log: Logger;
  pool: Pick<PoolStateStore, 'members' | 'locations'>;
  /** Which members are live, judged by this gateway's clock (membership.ts). */
  membership?: Pick<Membership, 'liveMembers' | 'onMembersChange'>;
  vpnState: Pick<VpnStateStore, 'listAddresses'>;
  /** The gateway's address in the VPN subnet (`.1`): what forwarded traffic is masqueraded to. */
  gatewayAddress: string;
  subscribe(listener: (change: StoreChange) => void): Promise<() => Promise<void>>;
}

export interface PoolRouting {
  /** The route sync's passes, routes and kernel changes. */
  metrics: RouteSyncMetrics;
  /** Removes the pool's routes, then the forwarding set-up. Call after OpenVPN has stopped. */
  stop(): Promise<void>;
}

/** Starts forwarding and the route sync; undefined when the gateway has no VPN or no backbone address. */
export async function startPoolRouting(deps: PoolRoutingDeps): Promise<PoolRouting | undefined> {
  const { config, log, membership } = deps;
  if (!config.VPN_ENABLED || !config.BACKBONE_ADDRESS) return undefined;
  let forwarding: HolderForwarding | undefined;
  try {
    forwarding = await startForwarding({
      log,
      device: TUNNEL_DEVICE,
      subnet: config.VPN_SUBNET,
      gatewayAddress: deps.gatewayAddress,
    });
  } catch (error) {
    // GW_ERR_FORWARDING was logged by startForwarding; peers cannot reach this gateway's containers meanwhile
    const code = (error as { code?: string }).code;
    if (code !== ErrorCode.Forwarding)
      log.error('pool forwarding failed', {
        code: code ?? ErrorCode.Internal,
        error: (error as Error).message,
      });
  }
  const metrics = new RouteSyncMetrics();
  const sync = await startRouteSync({
    onApplied: (outcome, routes) => metrics.applied(outcome, routes),
    onFailed: () => metrics.failed(),
    selfId: config.GATEWAY_ID,
    pool: deps.pool,
    vpnState: deps.vpnState,
    kernel: new KernelRoutes({ log }),
    subscribe: deps.subscribe,
    log,
    deadAfterMs: config.POOL_DEAD_AFTER,
    ...(membership && {
      liveMembers: () => membership.liveMembers(),
      onMembersChange: (listener: () => void) => membership.onMembersChange(listener),
    }),
  });
  return {
    metrics,
    async stop() {
      await sync.stop();
      await forwarding?.stop();
    },
  };
}
