/**
 * `GET /admin/openapi.json`: the admin API as an OpenAPI 3.1 document, generated from the routes
 * `admin.ts` mounts with their zod schemas (`admin-routes.ts`), so the document cannot drift from what
 * the handlers validate and answer. Behind ADMIN_TOKEN like the rest of `/admin/*`.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { BlankEnv } from 'hono/types';
import { eventsRoute } from './admin-routes.ts';

const INFO = {
  title: 'Demiurge Gateway admin API',
  version: '1',
  description:
    'On the admin listener (ADMIN_HOST:ADMIN_PORT, loopback by default). Errors answer {error:{code,message}} with a stable code (GW_ERR_*).',
};

export function mountOpenApiDocument(app: OpenAPIHono<BlankEnv>): void {
  app.openAPIRegistry.registerComponent('securitySchemes', 'adminToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'ADMIN_TOKEN, required when the gateway was started with one',
  });
  let eventsDocumented = false;
  app.get('/admin/openapi.json', (c) => {
    // The live feed is mounted as a plain route by its own module: document it once it is there.
    if (!eventsDocumented && app.routes.some((r) => r.method === 'GET' && r.path === eventsRoute.path)) {
      app.openAPIRegistry.registerPath(eventsRoute);
      eventsDocumented = true;
    }
    return c.json(app.getOpenAPI31Document({ openapi: '3.1.0', info: INFO }));
  });
}
