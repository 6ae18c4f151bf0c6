/**
 * Where gatewayctl reads from: Redis directly (REDIS_URL, Sentinel or Cluster, through the keys in redis/README.md), or,
 * for a gateway on the embedded store, that gateway's admin API (`admin-api.ts`).
 */
import type { Inventory } from '../../gateway/control/inventory.ts';
import { storeInventory } from '../../gateway/control/inventory.ts';
import { type GatewayRow, listGateways, stateByAge } from '../../gateway/pool/pool-inventory.ts';
import { RedisPoolState } from '../../gateway/pool/pool-state-redis.ts';
import { RedisStore } from '../../gateway/store/redis.ts';
import { describeTarget, type RedisTarget } from '../../gateway/store/redis-target.ts';
import { type AdminApi, adminFailure } from './admin-api.ts';

export interface Source extends Inventory {
  /** What it reads, for the line on stderr that names it (a Redis URL's password masked). */
  name: string;
  /** The pool's gateways; read from Redis, a member is dead when its beat is older than POOL_DEAD_AFTER. */
  gateways(): Promise<GatewayRow[]>;
  close(): Promise<void>;
}

export function redisSource(target: RedisTarget, livenessTimeoutMs: number, deadAfterMs = 6_000): Source {
  const store = new RedisStore(target);
  const pool = new RedisPoolState(target);
  return {
    name: describeTarget(target),
    ...storeInventory(store, livenessTimeoutMs),
    gateways: () => listGateways(pool, stateByAge(deadAfterMs)),
    close: async () => {
      await pool.close();
      await store.close();
    },
  };
}

export function adminApiSource(api: AdminApi): Source {
  const get = async <T>(path: string): Promise<T> => {
    const res = await api.request(path);
    if (!res.ok) throw await adminFailure(res, `GET ${path}`);
    return (await res.json()) as T;
  };
  return {
    name: `the admin API at ${api.base} (${api.origin})`,
    containers: () => get('/admin/containers'),
    routes: () => get('/admin/routes'),
    health: () => get('/admin/health'),
    gateways: () => get('/admin/gateways'),
    close: async () => {},
  };
}
