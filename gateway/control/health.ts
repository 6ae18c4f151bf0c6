/** /healthz (the process answers) and /readyz (its dependencies answer). */
import type { Env, Hono } from 'hono';
import type { Store } from '../store/store.ts';

export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

export function storeReadiness(store: Store): ReadinessCheck {
  return { name: 'store', check: () => store.ping() };
}

export function mountHealth<E extends Env>(app: Hono<E>, checks: ReadinessCheck[]): void {
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await check();
          return [name, 'ok'] as const;
        } catch {
          return [name, 'unavailable'] as const;
        }
      }),
    );
    const ready = results.every(([, state]) => state === 'ok');
    return c.json(
      { status: ready ? 'ready' : 'not ready', checks: Object.fromEntries(results) },
      ready ? 200 : 503,
    );
  });
}
