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
import { MemoryStore } from './store/memory.ts';
import { RedisStore } from './store/redis.ts';
import type { Store } from './store/store.ts';

export interface Gateway {
  config: Config;
  log: Logger;
  store: Store;
  tokenKeys: TokenKeys;
  control: Hono<ControlEnv>;
  admin: Hono;
  close(): Promise<void>;
}

export async function buildGateway(config: Config, log: Logger): Promise<Gateway> {
  const store: Store = config.REDIS_URL ? new RedisStore(config.REDIS_URL) : new MemoryStore();
  await store.ping();
  const tokenKeys = await loadTokenKeys(config);
  const readiness = [storeReadiness(store)];
  const control = createControlApp({
    store,
    verifier: createContainerTokenVerifier(tokenKeys.key, tokenKeys.algorithms),
    domain: config.DOMAIN,
    gatewayId: config.GATEWAY_ID,
    livenessTimeoutMs: config.LIVENESS_TIMEOUT,
    now: Date.now,
    // Direct mode: containers reach the gateway without the VPN (development, tests on loopback).
    upstreamOf: async (_identity, connection) => plainAddress(connection.remoteAddress),
    log,
    bodyLimitBytes: config.EVENT_BODY_LIMIT,
    readiness,
  });
  const inventory = storeInventory(store, config.LIVENESS_TIMEOUT);
  const admin = createAdminApp({ log, readiness, metrics: () => '', inventory });
  return {
    config,
    log,
    store,
    tokenKeys,
    control,
    admin,
    close: () => store.close(),
  };
}
