/**
 * The admin app, on the admin listener (`ADMIN_HOST:ADMIN_PORT`, loopback unless configured): health,
 * readiness and metrics stay open (a scraper needs no secret); `/admin/*` takes `ADMIN_TOKEN` when set,
 * and without it answers loopback Host names and no page of another site (admin-local.ts).
 * The `/admin/*` routes are declared in `admin-routes.ts` and documented at `/admin/openapi.json`.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { BlankEnv } from 'hono/types';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import type { Logger } from '../log.ts';
import { vpnDisabled } from '../vpn/vpn-manager.ts';
import { localOnlyGuard } from './admin-local.ts';
import { mountOpenApiDocument } from './admin-openapi.ts';
import {
  containersRoute,
  gatewaysRoute,
  healthRoute,
  revokeRoute,
  routesRoute,
  vpnClientsRoute,
} from './admin-routes.ts';
import type { GatewayRow, VpnClientRow } from './admin-schemas.ts';
import { adminTokenGuard } from './admin-token.ts';
import { type DashboardDeps, mountDashboard } from './dashboard/dashboard.ts';
import { errorResponder, notFound } from './errors.ts';
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
  /** The pool's gateways with their state and located containers (pool/pool-inventory.ts). */
  gateways?: () => Promise<GatewayRow[]>;
  /** Connected VPN clients; absent when the VPN is off. */
  vpnClients?: () => VpnClientRow[];
  /** ADMIN_TOKEN: when set, `/admin/*` requires `Authorization: Bearer <token>`. */
  adminToken?: string;
  /** `GET /admin/events` (SSE) and the dashboard (`/dashboard`): dashboard/dashboard.ts. */
  dashboard?: DashboardDeps;
}

/** A bad path parameter answers in the collab error shape, with the schema's own message. */
const badInput = (result: { success: boolean; error?: { issues: { message: string }[] } }) => {
  if (!result.success)
    throw new GatewayError(
      ErrorCode.BadRequest,
      `not a container id: ${result.error?.issues[0]?.message ?? 'invalid'}`,
      400,
    );
};

export function createAdminApp(deps: AdminAppDeps): OpenAPIHono<BlankEnv> {
  const app = new OpenAPIHono<BlankEnv>({ defaultHook: badInput });
  app.use('/admin/*', deps.adminToken ? adminTokenGuard(deps.adminToken) : localOnlyGuard());
  mountHealth(app, deps.readiness);
  app.get('/metrics', (c) =>
    c.body(deps.metrics(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }),
  );
  app.openapi(containersRoute, async (c) => c.json(await deps.inventory.containers(), 200));
  app.openapi(routesRoute, async (c) => c.json(await deps.inventory.routes(), 200));
  app.openapi(healthRoute, async (c) => c.json(await deps.inventory.health(), 200));
  app.openapi(revokeRoute, async (c) => c.json(await deps.revoke(c.req.valid('param').id), 200));
  app.openapi(gatewaysRoute, async (c) => {
    if (!deps.gateways) throw new GatewayError(ErrorCode.NotFound, 'this gateway keeps no pool', 404);
    return c.json(await deps.gateways(), 200);
  });
  app.openapi(vpnClientsRoute, (c) => {
    if (!deps.vpnClients) throw vpnDisabled();
    return c.json(deps.vpnClients(), 200);
  });
  mountOpenApiDocument(app);
  if (deps.dashboard) mountDashboard(app, deps.dashboard);
  app.notFound(notFound);
  app.onError(errorResponder(deps.log));
  return app;
}
