/** The admin app, on the loopback listener only: health, readiness, metrics and the admin API. */
import { Hono } from 'hono';
import type { Logger } from '../log.ts';
import { errorResponder, notFound } from './errors.ts';
import { mountHealth, type ReadinessCheck } from './health.ts';
import type { Inventory } from './inventory.ts';

export interface AdminAppDeps {
  log: Logger;
  readiness: ReadinessCheck[];
  /** Prometheus text exposition of the gateway's metrics. */
  metrics: () => string;
  inventory: Inventory;
}

export function createAdminApp(deps: AdminAppDeps): Hono {
  const app = new Hono();
  mountHealth(app, deps.readiness);
  app.get('/metrics', (c) =>
    c.body(deps.metrics(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
  );
  app.get('/admin/containers', async (c) => c.json(await deps.inventory.containers()));
  app.get('/admin/routes', async (c) => c.json(await deps.inventory.routes()));
  app.get('/admin/health', async (c) => c.json(await deps.inventory.health()));
  app.notFound(notFound);
  app.onError(errorResponder(deps.log));
  return app;
}
