/** The control app (Hono): the collab endpoints containers call, plus health. */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import type { Logger } from '../log.ts';
import { RequestIds } from '../proxy/request-ids.ts';
import type { VpnManager } from '../vpn/vpn-manager.ts';
import { type CollabEventDeps, collabEventHandler } from './collab-event.ts';
import type { ControlEnv } from './env.ts';
import { errorResponder } from './errors.ts';
import { browserNotFound, homePage } from './first-contact.ts';
import { mountHealth, type ReadinessCheck } from './health.ts';
import { oidcClientHandler } from './oidc-client.ts';
import { requestIdMiddleware } from './request-id.ts';
import { vpnConfigHandler } from './vpn-config.ts';

export interface ControlAppDeps extends CollabEventDeps {
  log: Logger;
  bodyLimitBytes: number;
  readiness: ReadinessCheck[];
  vpn?: VpnManager;
  /** The sign-in endpoints (authorize, login, JWKS), mounted at the root. */
  auth?: Hono<ControlEnv>;
  /** Peers whose `X-Request-Id` is kept (TRUSTED_PROXIES; none when absent). */
  trustedProxies?: ReadonlySet<string>;
  /** Where the other requests' ids come from (the proxy's, shared). */
  ids?: RequestIds;
}

export function createControlApp(deps: ControlAppDeps): Hono<ControlEnv> {
  const app = new Hono<ControlEnv>();
  app.use(requestIdMiddleware(deps.trustedProxies ?? new Set(), deps.ids ?? new RequestIds()));
  const limit = bodyLimit({
    maxSize: deps.bodyLimitBytes,
    onError: () => {
      throw new GatewayError(ErrorCode.BodyTooLarge, `body is larger than ${deps.bodyLimitBytes} bytes`, 413);
    },
  });
  app.use('/collab/*', deps.outcomes.middleware);
  app.post('/collab/event', limit, collabEventHandler(deps));
  app.get('/collab/vpn-config', vpnConfigHandler(deps.verifier, deps.vpn));
  if (deps.oidcClients)
    app.get(
      '/collab/oidc-client',
      oidcClientHandler(deps.verifier, deps.oidcClients, deps.store, deps.domain),
    );
  mountHealth(app, deps.readiness);
  if (deps.auth) app.route('/', deps.auth);
  // First contact: a browser gets pages at `/` and for unknown paths; scripts keep their JSON 404.
  app.get('/', homePage(deps.readiness, deps.domain));
  app.notFound(browserNotFound);
  app.onError(errorResponder(deps.log));
  return app;
}
