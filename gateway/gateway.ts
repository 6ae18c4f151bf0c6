/** Builds the runtime-neutral object graph: store, tokens, VPN, sign-in, proxy parts, control and admin apps. */
import type { Hono } from 'hono';
import { buildSignIn } from './auth/build.ts';
import { createContainerTokenVerifier } from './auth/container-token.ts';
import { loadTokenKeys, type TokenKeys } from './auth/verification-key.ts';
import type { Config } from './config.ts';
import { createAdminApp } from './control/admin.ts';
import { createControlApp } from './control/app.ts';
import { type ControlEnv, plainAddress } from './control/env.ts';
import { storeReadiness } from './control/health.ts';
import { storeInventory } from './control/inventory.ts';
import { ownListeners } from './control/own-listeners.ts';
import { createRevoker } from './control/revocation.ts';
import type { Logger } from './log.ts';
import { buildObservability } from './observability.ts';
import { buildProxy, type ProxyParts } from './proxy/build.ts';
import { startRetention } from './routes/retention.ts';
import { createSecurityLog, type SecurityLog } from './security-log.ts';
import { MemoryStore } from './store/memory.ts';
import { RedisStore } from './store/redis.ts';
import type { Store } from './store/store.ts';
import { StoreHealth } from './store/store-health.ts';
import { startVpn } from './vpn/build.ts';
import type { VpnManager } from './vpn/vpn-manager.ts';
import { vpnMetrics } from './vpn/vpn-metrics.ts';

export type { ProxyParts };

export interface Gateway {
  config: Config;
  log: Logger;
  /** Security events (rate-limited lines with a reason code, counted in /metrics). */
  security: SecurityLog;
  store: Store;
  tokenKeys: TokenKeys;
  control: Hono<ControlEnv>;
  admin: Hono;
  proxy: ProxyParts;
  /** Present when VPN_ENABLED. */
  vpn?: VpnManager;
  close(): Promise<void>;
}

export async function buildGateway(config: Config, log: Logger): Promise<Gateway> {
  const security = createSecurityLog(log);
  const health = new StoreHealth(log);
  const store: Store = config.REDIS_URL
    ? new RedisStore(config.REDIS_URL, { timeoutMs: config.STORE_TIMEOUT, observer: health })
    : new MemoryStore();
  await store.ping();
  health.start(() => store.ping());
  const tokenKeys = await loadTokenKeys(config);
  const verifier = createContainerTokenVerifier(tokenKeys.key, tokenKeys.algorithms);
  const vpn = config.VPN_ENABLED ? await startVpn(config, log, verifier) : undefined;
  const observe = await buildObservability(config, log, store);
  const signIn = await buildSignIn(config, store, tokenKeys, security, observe.signIns);
  const proxy = await buildProxy(config, store, signIn.gate, log, security, health);
  const stopRetention = startRetention(store, config.ROUTE_RETENTION, log);
  // Revocations made through any gateway reach this one's OpenVPN (CRL and connected clients).
  const stopRevocations = vpn
    ? await store.subscribe((change) => {
        if (change.kind !== 'revoked') return;
        vpn.manager
          .enforceRevocation(change.containerId)
          .catch(() => log.warn('could not enforce a revocation', { containerId: change.containerId }));
      })
    : undefined;
  const readiness = [
    storeReadiness(health),
    ...(vpn ? [{ name: 'vpn', check: () => vpn.manager.check() }] : []),
  ];
  const control = createControlApp({
    store,
    verifier,
    vpn: vpn?.manager,
    auth: signIn.routes,
    domain: config.DOMAIN,
    gatewayId: config.GATEWAY_ID,
    livenessTimeoutMs: config.LIVENESS_TIMEOUT,
    accessLevels: config.ACCESS_LEVELS,
    defaultAccess: config.DEFAULT_ACCESS,
    now: Date.now,
    // VPN mode: the container's allocated address (checked against the source on the VPN listener).
    // Direct mode: containers reach the gateway without the VPN (development, tests on loopback).
    upstreamOf: vpn
      ? (identity, connection) => vpn.manager.upstreamOf(identity, connection)
      : async (_identity, connection) => plainAddress(connection.remoteAddress),
    // Never an upstream: in direct mode a token holder on this machine could otherwise map the admin port.
    ownListeners: ownListeners({
      publicHost: config.HOST,
      publicPort: config.PORT,
      adminPort: config.ADMIN_PORT,
      adminHost: config.ADMIN_HOST,
      vpnAddress: vpn?.manager.gatewayAddress,
    }),
    security,
    log,
    outcomes: observe.outcomes,
    liveness: observe.liveness,
    bodyLimitBytes: config.EVENT_BODY_LIMIT,
    readiness,
    trustedProxies: config.TRUSTED_PROXIES,
    ids: proxy.ids,
  });
  const revoke = createRevoker({
    store,
    vpn: vpn?.manager,
    closeWebSockets: (containerId) => proxy.websockets.closeContainer(containerId),
    security,
    log,
  });
  const admin = createAdminApp({
    log,
    readiness,
    // Each part renders whole families; a part with a `render(): string` joins the list.
    metrics: () =>
      observe.render([proxy.metrics, security, health, ...(vpn ? [vpnMetrics(vpn.manager)] : [])]),
    inventory: storeInventory(store, config.LIVENESS_TIMEOUT),
    revoke,
    vpnClients: vpn ? () => vpn.manager.clients() : undefined,
    adminToken: config.ADMIN_TOKEN,
  });
  return {
    config,
    log,
    security,
    store,
    tokenKeys,
    control,
    admin,
    proxy,
    vpn: vpn?.manager,
    async close() {
      health.stop();
      stopRetention();
      await stopRevocations?.();
      await vpn?.manager.stop();
      await vpn?.state.close?.();
      await proxy.stop();
      await observe.stop();
      await store.close();
      security.stop();
    },
  };
}
