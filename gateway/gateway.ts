/** Builds the runtime-neutral object graph: store, tokens, VPN, sign-in, proxy parts, control and admin apps. */
import type { Hono } from 'hono';
import { createContainerTokenVerifier } from './auth/container-token.ts';
import { loadTokenKeys, type TokenKeys } from './auth/verification-key.ts';
import type { Config } from './config.ts';
import { createAdminApp } from './control/admin.ts';
import { createAdminEvents } from './control/admin-events.ts';
import { createControlApp } from './control/app.ts';
import { type ControlEnv, plainAddress } from './control/env.ts';
import { type DrainFlag, drainReadiness, storeReadiness } from './control/health.ts';
import { storeInventory } from './control/inventory.ts';
import { ownListeners } from './control/own-listeners.ts';
import { createRevoker } from './control/revocation.ts';
import type { Logger } from './log.ts';
import { readBuildInfo } from './metrics/build-info.ts';
import { buildObservability } from './observability.ts';
import { buildPool, type Pool } from './pool/build.ts';
import { listGateways } from './pool/pool-inventory.ts';
import { startPoolRouting } from './pool/pool-routing.ts';
import { buildProxy, type ProxyParts } from './proxy/build.ts';
import { startRetention } from './routes/retention.ts';
import { createSecurityLog, type SecurityLog } from './security-log.ts';
import { buildSignIn } from './sign-in.ts';
import { MemoryStore } from './store/memory.ts';
import { RedisStore } from './store/redis.ts';
import { ReplicaWaits } from './store/redis-replica-wait.ts';
import type { Store } from './store/store.ts';
import { StoreHealth } from './store/store-health.ts';
import { startVpn } from './vpn/build.ts';
import { remotesOf } from './vpn/client-config.ts';
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
  /** This gateway's membership of the pool and the locations of the tunnels it holds (pool/build.ts). */
  pool: Pool;
  /** Set when the gateway starts draining (drain.ts): /readyz fails from then on. */
  drainFlag: DrainFlag;
  close(): Promise<void>;
}

export async function buildGateway(config: Config, log: Logger): Promise<Gateway> {
  const security = createSecurityLog(log);
  const health = new StoreHealth(log);
  const replicaWaits = new ReplicaWaits(log);
  const store: Store = config.redis
    ? new RedisStore(config.redis, { timeoutMs: config.STORE_TIMEOUT, observer: health, replicaWaits })
    : new MemoryStore();
  await store.ping();
  health.start(() => store.ping());
  const tokenKeys = await loadTokenKeys(config);
  const verifier = createContainerTokenVerifier(tokenKeys.key, tokenKeys.algorithms);
  const pool = buildPool(config, store, log, readBuildInfo().version);
  await pool.start();
  const vpn = config.VPN_ENABLED
    ? await startVpn(config, log, verifier, replicaWaits, {
        clients: pool.locations,
        remotes: async () => remotesOf(pool.membership.liveMembers(), config.VPN_PORT),
      })
    : undefined;
  // Host routes to containers held by peers, forwarding for those held here (VPN and BACKBONE_ADDRESS only).
  const poolRouting = vpn
    ? await startPoolRouting({
        config,
        log,
        pool: pool.state,
        membership: pool.membership,
        vpnState: vpn.state,
        gatewayAddress: vpn.manager.gatewayAddress,
        subscribe: (listener) => store.subscribe(listener),
      })
    : undefined;
  const observe = await buildObservability(config, log, store);
  const signIn = await buildSignIn(config, store, tokenKeys, security, observe.signIns, log);
  const proxy = await buildProxy(config, store, signIn.gate, log, security, health);
  const stopRetention = startRetention(store, config.ROUTE_RETENTION, log, undefined, (ids) =>
    Promise.all(ids.map((id) => signIn.oidc.clients.removeContainer(id))),
  );
  // Revocations made through any gateway reach this one's OpenVPN (CRL and connected clients).
  const stopRevocations = vpn
    ? await store.subscribe((change) => {
        if (change.kind !== 'revoked') return;
        vpn.manager
          .enforceRevocation(change.containerId)
          .catch(() => log.warn('could not enforce a revocation', { containerId: change.containerId }));
      })
    : undefined;
  const drainFlag: DrainFlag = { draining: false };
  const readiness = [
    drainReadiness(drainFlag),
    storeReadiness(health),
    ...(vpn ? [{ name: 'vpn', check: () => vpn.manager.check() }] : []),
  ];
  const control = createControlApp({
    store,
    verifier,
    vpn: vpn?.manager,
    auth: signIn.routes,
    oidcClients: signIn.oidc.clients,
    domain: config.DOMAIN,
    gatewayId: config.GATEWAY_ID,
    livenessTimeoutMs: config.LIVENESS_TIMEOUT,
    // A map event's answer names its URLs as browsers reach them (PUBLIC_SCHEME, GATEWAY_FQDN's port).
    publicUrl: (hostname) =>
      `${config.PUBLIC_SCHEME}://${hostname}${/:\d+$/.exec(config.GATEWAY_FQDN)?.[0] ?? ''}/`,
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
    removeOidcClients: (containerId) => signIn.oidc.clients.removeContainer(containerId),
    security,
    log,
  });
  const startedAt = Date.now();
  const gateways = () => listGateways(pool.state, (m) => pool.membership.stateOf(m));
  const admin = createAdminApp({
    log,
    readiness,
    // Each part renders whole families; a part with a `render(): string` joins the list.
    metrics: () =>
      observe.render([
        proxy.metrics,
        security,
        health,
        ...(config.redis ? [replicaWaits] : []),
        ...(vpn ? [vpnMetrics(vpn.manager)] : []),
        pool.metrics,
        ...(poolRouting ? [poolRouting.metrics] : []),
      ]),
    inventory: storeInventory(store, config.LIVENESS_TIMEOUT),
    revoke,
    vpnClients: vpn ? () => vpn.manager.clients() : undefined,
    gateways,
    adminToken: config.ADMIN_TOKEN,
    dashboard: {
      store,
      livenessTimeoutMs: config.LIVENESS_TIMEOUT,
      revoke,
      events: createAdminEvents({ subscribe: (listener) => store.subscribe(listener) }),
      gateway: () => ({
        gatewayId: config.GATEWAY_ID,
        version: readBuildInfo().version,
        startedAt,
        store: health.state,
        storeKind: config.redis ? 'redis' : 'memory',
      }),
      gateways,
      vpnClients: vpn ? () => vpn.manager.clients() : undefined,
      adminToken: config.ADMIN_TOKEN,
    },
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
    pool,
    drainFlag,
    async close() {
      health.stop();
      stopRetention();
      await stopRevocations?.();
      await vpn?.manager.stop();
      await poolRouting?.stop();
      await vpn?.state.close?.();
      await pool.stop();
      await proxy.stop();
      await signIn.oidc.close();
      await observe.stop();
      await store.close();
      security.stop();
    },
  };
}
