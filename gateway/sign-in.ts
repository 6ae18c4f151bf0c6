/**
 * Builds browser sign-in: session keeper, identity assertions, the gateway-host routes (control/) and the
 * service-host gate (proxy/). Wiring, so it sits at the top beside gateway.ts: auth/ itself imports neither.
 */
import type { Hono } from 'hono';
import { IdentityAssertions } from './auth/assertion.ts';
import { loadAuthKeys } from './auth/auth-keys.ts';
import { SessionKeeper } from './auth/sessions.ts';
import type { TokenKeys } from './auth/verification-key.ts';
import type { Config } from './config.ts';
import { authRoutes } from './control/auth-routes.ts';
import type { ControlEnv } from './control/env.ts';
import type { Logger } from './log.ts';
import type { SignInMetrics } from './metrics/sign-in-metrics.ts';
import { buildOidc, type Oidc } from './oidc/build.ts';
import { AccessGate } from './proxy/access-gate.ts';
import type { SecurityLog } from './security-log.ts';
import type { Store } from './store/store.ts';

export interface SignIn {
  gate: AccessGate;
  /** The sign-in routes and the OpenID Connect provider's, for the control app. */
  routes: Hono<ControlEnv>;
  /** The OpenID Connect provider (gateway/oidc/): its clients, and its internal listener to close. */
  oidc: Oidc;
}

export async function buildSignIn(
  config: Config,
  store: Store,
  tokenKeys: TokenKeys,
  security: SecurityLog,
  signIns: SignInMetrics,
  log: Logger,
): Promise<SignIn> {
  const gatewayOrigin = `${config.PUBLIC_SCHEME}://${config.GATEWAY_FQDN}`;
  const keys = await loadAuthKeys(config);
  const sessions = new SessionKeeper(keys.sessionSecret, Math.round(config.SESSION_TTL / 1000));
  const assertions = await IdentityAssertions.create(keys.assertionKeys, keys.assertionKid, gatewayOrigin);
  const secure = config.PUBLIC_SCHEME === 'https';
  const portSuffix = /:\d+$/.exec(config.GATEWAY_FQDN)?.[0] ?? '';
  const oidc = await buildOidc({
    config,
    gatewayOrigin,
    portSuffix,
    store,
    keys,
    sessions,
    devLogin: tokenKeys.devKey !== undefined,
    security,
    signIns,
    log,
  });
  const routes = authRoutes({
    store,
    sessions,
    assertions,
    userTokenKey: tokenKeys.key,
    algorithms: tokenKeys.algorithms,
    domain: config.DOMAIN,
    gatewayOrigin,
    scheme: config.PUBLIC_SCHEME,
    portSuffix,
    loginUrl: config.LOGIN_URL,
    devKey: tokenKeys.devKey,
    security,
    signIns,
  });
  routes.route('/', oidc.routes);
  return {
    gate: new AccessGate({ sessions, assertions, store, gatewayOrigin, secure, security, signIns }),
    routes,
    oidc,
  };
}
