/**
 * The admin API's routes, declared once (`createRoute`): method, path, input and every answer with its
 * schema. `admin.ts` mounts them and `/admin/openapi.json` documents them from these same objects.
 */
import { createRoute, type RouteConfig, z } from '@hono/zod-openapi';
import {
  ContainerIdParam,
  ContainerRow,
  ErrorBody,
  GatewayRow,
  HealthRow,
  RevocationBody,
  RouteRow,
  VpnClientRow,
} from './admin-schemas.ts';

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const failure = (description: string) => json(ErrorBody, description);

/** Answers every admin route can give besides its own. */
const common = {
  401: failure(
    'ADMIN_TOKEN is set and the request lacks `Authorization: Bearer <ADMIN_TOKEN>` (GW_ERR_UNAUTHORIZED)',
  ),
  403: failure(
    'without ADMIN_TOKEN: a Host that is not a loopback name, or a page of another site (Origin, Sec-Fetch-Site) (GW_ERR_FORBIDDEN)',
  ),
  503: failure('the store is unavailable (GW_ERR_STORE_UNAVAILABLE), with Retry-After'),
} as const;
const security = [{ adminToken: [] }];
const read = <T extends z.ZodType>(path: string, schema: T, summary: string, more = {}) =>
  createRoute({
    method: 'get',
    path,
    summary,
    security,
    responses: { 200: json(schema, summary), ...common, ...more },
  });

export const containersRoute = read(
  '/admin/containers',
  z.array(ContainerRow),
  'containers known to the store',
);
export const routesRoute = read(
  '/admin/routes',
  z.array(RouteRow),
  'the route table: hostname -> container, service, upstream, access',
);
export const healthRoute = read(
  '/admin/health',
  z.array(HealthRow),
  "per container: online or offline, the last watchdog's age and stats",
);
export const gatewaysRoute = read(
  '/admin/gateways',
  z.array(GatewayRow),
  "the pool's gateways: state, last beat, containers held",
  { 404: failure('this gateway keeps no pool (GW_ERR_NOT_FOUND)') },
);
export const vpnClientsRoute = read('/admin/vpn/clients', z.array(VpnClientRow), 'connected VPN clients', {
  404: failure('the VPN is not enabled on this gateway (GW_ERR_NOT_FOUND)'),
});
export const revokeRoute = createRoute({
  method: 'post',
  path: '/admin/containers/{id}/revoke',
  summary:
    'revoke a container for good: routes, WebSockets, certificate, VPN client, address (on every gateway)',
  security,
  request: { params: ContainerIdParam },
  responses: {
    200: json(RevocationBody, 'revoked (or already revoked: whatever was left is cut)'),
    400: failure('not a container id (GW_ERR_BAD_REQUEST)'),
    404: failure(
      'no container with this id is known to the gateway; nothing changed (GW_ERR_UNKNOWN_CONTAINER)',
    ),
    ...common,
  },
});

/** `/admin/events`, mounted by its own module as a plain route: documented when the app has it. */
export const eventsRoute: RouteConfig = {
  method: 'get',
  path: '/admin/events',
  summary: 'the change feed, live, as Server-Sent Events',
  security,
  responses: {
    200: {
      description: 'an endless text/event-stream, one event per change',
      content: { 'text/event-stream': { schema: z.string() } },
    },
    ...common,
  },
};
