/**
 * Builds this gateway's part of the pool (issue 16): the pool state (Redis when the store is Redis, else
 * memory on the MemoryStore's feed), the membership (heartbeat, dead peers) and the container locations
 * fed by OpenVPN. gateway.ts builds it once, before the VPN, and stops it on close.
 */
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { family, type MetricsPart, sample } from '../metrics/exposition.ts';
import { MemoryStore } from '../store/memory.ts';
import type { Store } from '../store/store.ts';
import { Locations } from './locations.ts';
import { Membership } from './membership.ts';
import type { PoolStateStore } from './pool-state.ts';
import { MemoryPoolState } from './pool-state-memory.ts';
import { RedisPoolState } from './pool-state-redis.ts';

export interface Pool {
  state: PoolStateStore;
  membership: Membership;
  /** Fed by VpnManager (`clients` of its deps); unused without the VPN. */
  locations: Locations;
  /** gateway_pool_members and gateway_pool_located_containers. */
  metrics: MetricsPart;
  /** Starts beating (after the first beat: this gateway is a member). */
  start(): Promise<void>;
  /** Clears this gateway's locations and leaves the pool (a clean stop); `leave: false` only stops. */
  stop(options?: { leave?: boolean }): Promise<void>;
}

export function buildPool(config: Config, store: Store, log: Logger, version: string): Pool {
  const redisState = config.redis ? new RedisPoolState(config.redis, config.STORE_TIMEOUT) : undefined;
  const state: PoolStateStore =
    redisState ?? new MemoryPoolState(store instanceof MemoryStore ? store : { emit() {} });
  const membership = new Membership({
    state,
    feed: store,
    self: {
      id: config.GATEWAY_ID,
      backbone: config.BACKBONE_ADDRESS ?? null,
      vpnRemote: config.VPN_ENABLED ? config.VPN_REMOTE : null,
      version,
      startedAt: Date.now(),
    },
    heartbeatMs: config.POOL_HEARTBEAT,
    deadAfterMs: config.POOL_DEAD_AFTER,
    log,
  });
  const locations = new Locations({ state, gatewayId: config.GATEWAY_ID, log });
  // Joined again after peers declared this gateway dead (and dropped its locations): record them again.
  membership.onJoined(() => void locations.reassert());
  membership.onMembersChange(() => void locations.retryPending());
  const members: MetricsPart = {
    render() {
      const counts = { alive: 0, draining: 0 };
      for (const m of membership.liveMembers()) counts[m.draining ? 'draining' : 'alive']++;
      return family(
        'gateway_pool_members',
        'gauge',
        'Gateways of the pool this gateway sees live, by state (a dead one leaves the pool).',
        (['alive', 'draining'] as const).map((s) => sample('gateway_pool_members', { state: s }, counts[s])),
      );
    },
  };
  return {
    state,
    membership,
    locations,
    metrics: { render: () => members.render() + locations.render() },
    start: () => membership.start(),
    async stop(options = {}) {
      if (options.leave !== false) await locations.clearAll();
      await membership.stop(options);
      await redisState?.close();
    },
  };
}
