/**
 * The admin app, on the admin listener (`ADMIN_HOST:ADMIN_PORT`, loopback unless configured): health,
 * readiness and metrics stay open (a scraper needs no secret); `/admin/*` takes `ADMIN_TOKEN` when set.
 */
import { Hono } from 'hono';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import type { Logger } from '../log.ts';
import { vpnDisabled } from '../vpn/vpn-manager.ts';
import { adminTokenGuard } from './admin-token.ts';
import { errorResponder, notFound } from './errors.ts';

const CONTAINER_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$/;

import { mountHealth, type ReadinessCheck } from './health.ts';
import type { Inventory } from './inventory.ts';
import type { RevocationResult } from './revocation.ts';

export interface AdminAppDeps {
  log: Logger;
  readiness: ReadinessCheck[];
  /** Prometheus text exposition of the gateway's metrics. */
  metrics: () => string;
  inventory: Inventory;
  /**
   * Revokes a container for good, everywhere it has a foothold (routes, WebSockets, certificate, VPN
   * client, address); throws GW_ERR_UNKNOWN_CONTAINER (404) for an id the gateway has no trace of.
   */
  revoke: (containerId: string) => Promise<RevocationResult>;
  /** Connected VPN clients; absent when the VPN is off. */
  vpnClients?: () => unknown[];
  /** ADMIN_TOKEN: when set, `/admin/*` requires `Authorization: Bearer <token>`. */
  adminToken?: string;
}

export function createAdminApp(deps: AdminAppDeps): Hono {
  const app = new Hono();
  if (deps.adminToken) app.use('/admin/*', adminTokenGuard(deps.adminToken));
  mountHealth(app, deps.readiness);
  app.get('/metrics', (c) =>
    c.body(deps.metrics(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
  );
  app.get('/admin/containers', async (c) => c.json(await deps.inventory.containers()));
  app.get('/admin/routes', async (c) => c.json(await deps.inventory.routes()));
  app.get('/admin/health', async (c) => c.json(await deps.inventory.health()));
  app.post('/admin/containers/:id/revoke', async (c) => {
    const id = c.req.param('id');
    if (!CONTAINER_ID.test(id)) throw new GatewayError(ErrorCode.BadRequest, 'not a container id', 400);
    return c.json(await deps.revoke(id));
  });
  app.get('/admin/vpn/clients', (c) => {
    if (!deps.vpnClients) throw vpnDisabled();
    return c.json(deps.vpnClients());
  });
  app.notFound(notFound);
  app.onError(errorResponder(deps.log));
  return app;
}
