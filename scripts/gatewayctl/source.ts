/**
 * Where gatewayctl reads from: Redis directly (REDIS_URL, through the keys in redis/README.md), or,
 * for a gateway on the embedded store, that gateway's admin API (`admin-api.ts`).
 */
import type { Inventory } from '../../gateway/control/inventory.ts';
import { storeInventory } from '../../gateway/control/inventory.ts';
import { RedisStore } from '../../gateway/store/redis.ts';
import type { AdminApi } from './admin-api.ts';

export interface Source extends Inventory {
  close(): Promise<void>;
}

export function redisSource(url: string, livenessTimeoutMs: number): Source {
  const store = new RedisStore(url);
  return { ...storeInventory(store, livenessTimeoutMs), close: () => store.close() };
}

export function adminApiSource(api: AdminApi): Source {
  const get = async <T>(path: string): Promise<T> => {
    const res = await api.request(path);
    if (!res.ok) throw new Error(`admin API ${path} answered ${res.status}`);
    return (await res.json()) as T;
  };
  return {
    containers: () => get('/admin/containers'),
    routes: () => get('/admin/routes'),
    health: () => get('/admin/health'),
    close: async () => {},
  };
}
