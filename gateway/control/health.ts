/** /healthz (the process answers and is not draining) and /readyz (its dependencies answer too). */
import type { Env, Hono } from 'hono';
import type { StoreHealth } from '../store/store-health.ts';

export interface ReadinessCheck {
  name: string;
  /** Throws when the dependency is unavailable; may resolve with a state to show instead of `ok`. */
  check: () => Promise<string | undefined> | Promise<void>;
  /** Fails /healthz too (draining): a load balancer that checks only /healthz stops sending as well. */
  alsoLiveness?: boolean;
}

/** A check that fails with a state of its own (shown instead of `unavailable`). */
class NotReady extends Error {
  constructor(readonly state: string) {
    super(state);
  }
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

/** Set once when the gateway starts draining (SIGTERM): /readyz fails from then on, so a load balancer stops sending. */
export interface DrainFlag {
  draining: boolean;
}

export function drainReadiness(flag: Readonly<DrainFlag>): ReadinessCheck {
  return {
    name: 'drain',
    alsoLiveness: true,
    check: async () => {
      if (flag.draining) throw new NotReady('draining');
    },
  };
}

export function mountHealth<E extends Env>(app: Hono<E>, checks: ReadinessCheck[]): void {
  const liveness = checks.filter((c) => c.alsoLiveness);
  app.get('/healthz', async (c) => {
    for (const { check } of liveness) {
      try {
        await check();
      } catch (err) {
        return c.json({ status: err instanceof NotReady ? err.state : 'unavailable' }, 503);
      }
    }
    return c.json({ status: 'ok' });
  });
  app.get('/readyz', async (c) => {
    const { ready, checks: states } = await readinessOf(checks);
    return c.json({ status: ready ? 'ready' : 'not ready', checks: states }, ready ? 200 : 503);
  });
}

/** Every check's state (`ok`, its own state, or `unavailable`), as /readyz and the gateway's home page show it. */
export async function readinessOf(
  checks: readonly ReadinessCheck[],
): Promise<{ ready: boolean; checks: Record<string, string> }> {
  let ready = true;
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      try {
        return [name, (await check()) ?? 'ok'] as const;
      } catch (err) {
        ready = false;
        return [name, err instanceof NotReady ? err.state : 'unavailable'] as const;
      }
    }),
  );
  return { ready, checks: Object.fromEntries(results) };
}
