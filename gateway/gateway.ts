/** Builds the runtime-neutral object graph: store, token verification, control and admin apps. */
import type { Hono } from 'hono';
import { createContainerTokenVerifier } from './auth/container-token.ts';
import { loadTokenKeys, type TokenKeys } from './auth/verification-key.ts';
import type { Config } from './config.ts';
import { createAdminApp } from './control/admin.ts';
import { createControlApp } from './control/app.ts';
import { type ControlEnv, plainAddress } from './control/env.ts';
import { storeReadiness } from './control/health.ts';
import { storeInventory } from './control/inventory.ts';
import type { Logger } from './log.ts';
import { ActivityTracker } from './proxy/activity.ts';
import { createDecider, type Decider } from './proxy/decide.ts';
import { ProxyMetrics } from './proxy/metrics.ts';
import { WebSocketRegistry } from './proxy/websockets.ts';
import { RouteCache } from './routes/route-cache.ts';
import { MemoryStore } from './store/memory.ts';
import { RedisStore } from './store/redis.ts';
import type { Store } from './store/store.ts';
import { startVpn } from './vpn/build.ts';
import type { VpnManager } from './vpn/vpn-manager.ts';

export interface Gateway {
  config: Config;
  log: Logger;
  store: Store;
  tokenKeys: TokenKeys;
  control: Hono<ControlEnv>;
  admin: Hono;
  proxy: ProxyParts;
  /** Present when VPN_ENABLED. */
  vpn?: VpnManager;
  close(): Promise<void>;
}

/** The runtime-neutral parts of the proxy; each adapter adds its own forwarding. */
export interface ProxyParts {
  decider: Decider;
  metrics: ProxyMetrics;
  activity: ActivityTracker;
  websockets: WebSocketRegistry;
}

export async function buildGateway(config: Config, log: Logger): Promise<Gateway> {
  const store: Store = config.REDIS_URL ? new RedisStore(config.REDIS_URL) : new MemoryStore();
  await store.ping();
  const tokenKeys = await loadTokenKeys(config);
  const verifier = createContainerTokenVerifier(tokenKeys.key, tokenKeys.algorithms);
  const vpn = config.VPN_ENABLED ? await startVpn(config, log, verifier) : undefined;
  const readiness = [
    storeReadiness(store),
    ...(vpn ? [{ name: 'vpn', check: () => vpn.manager.check() }] : []),
  ];
  const control = createControlApp({
    store,
    verifier,
    vpn: vpn?.manager,
    domain: config.DOMAIN,
    gatewayId: config.GATEWAY_ID,
    livenessTimeoutMs: config.LIVENESS_TIMEOUT,
    now: Date.now,
    // VPN mode: the container's allocated address (checked against the source on the VPN listener).
    // Direct mode: containers reach the gateway without the VPN (development, tests on loopback).
    upstreamOf: vpn
      ? (identity, connection) => vpn.manager.upstreamOf(identity, connection)
      : async (_identity, connection) => plainAddress(connection.remoteAddress),
    log,
    bodyLimitBytes: config.EVENT_BODY_LIMIT,
    readiness,
  });
  const inventory = storeInventory(store, config.LIVENESS_TIMEOUT);
  const cache = new RouteCache(store, {
    ttlMs: config.ROUTE_CACHE_TTL,
    negativeTtlMs: config.ROUTE_CACHE_NEGATIVE_TTL,
    maxEntries: config.ROUTE_CACHE_MAX,
  });
  await cache.start();
  const metrics = new ProxyMetrics(() => ({ ...cache.stats, size: cache.size }));
  const activity = new ActivityTracker(store, log);
  activity.start(config.ACTIVITY_FLUSH_INTERVAL);
  const proxy: ProxyParts = {
    decider: createDecider(cache, config.DOMAIN, config.LIVENESS_TIMEOUT),
    metrics,
    activity,
    websockets: new WebSocketRegistry(cache),
  };
  const admin = createAdminApp({
    log,
    readiness,
    metrics: () => metrics.render(),
    inventory,
    revoke: async (containerId) => {
      const vpnResult = await vpn?.manager.revoke(containerId);
      const removed = await store.removeContainer(containerId);
      proxy.websockets.closeContainer(containerId);
      log.info('container revoked', {
        containerId,
        routesRemoved: removed,
        vpnClientsKilled: vpnResult?.killed ?? 0,
      });
      return { containerId, routesRemoved: removed, vpnClientsKilled: vpnResult?.killed ?? 0 };
    },
    vpnClients: vpn ? () => vpn.manager.clients() : undefined,
  });
  return {
    config,
    log,
    store,
    tokenKeys,
    control,
    admin,
    proxy,
    vpn: vpn?.manager,
    async close() {
      await vpn?.manager.stop();
      await vpn?.state.close?.();
      await activity.stop();
      await cache.stop();
      await store.close();
    },
  };
}
