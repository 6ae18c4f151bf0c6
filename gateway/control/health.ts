/** /healthz (the process answers) and /readyz (its dependencies answer). */
import type { Env, Hono } from 'hono';
import type { StoreHealth } from '../store/store-health.ts';

export interface ReadinessCheck {
  name: string;
  /** Throws when the dependency is unavailable; may resolve with a state to show instead of `ok`. */
  check: () => Promise<string | undefined> | Promise<void>;
}

/** The store's state as the health checker last saw it: /readyz never waits on a hung store. */
export function storeReadiness(health: Pick<StoreHealth, 'state'>): ReadinessCheck {
  return {
    name: 'store',
    check: async () => {
      if (health.state === 'down') throw new Error('store down');
      return health.state === 'degraded' ? 'degraded' : undefined;
    },
  };
}

export function mountHealth<E extends Env>(app: Hono<E>, checks: ReadinessCheck[]): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          return [name, (await check()) ?? 'ok'] as const;
        } catch {
          return [name, 'unavailable'] as const;
        }
      }),
    );
    const ready = results.every(([, state]) => state !== 'unavailable');
    return c.json(
      { status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) },
      ready ? 200 : 503,
    );
  });
}
