/** Builds browser sign-in: session keeper, identity assertions, the gateway-host routes, the service-host gate. */
import type { Hono } from 'hono';
import type { Config } from '../config.ts';
import { authRoutes } from '../control/auth-routes.ts';
import type { ControlEnv } from '../control/env.ts';
import type { SignInMetrics } from '../metrics/sign-in-metrics.ts';
import { AccessGate } from '../proxy/access-gate.ts';
import type { SecurityLog } from '../security-log.ts';
import type { Store } from '../store/store.ts';
import { IdentityAssertions } from './assertion.ts';
import { loadAuthKeys } from './auth-keys.ts';
import { SessionKeeper } from './sessions.ts';
import type { TokenKeys } from './verification-key.ts';

export interface SignIn {
  gate: AccessGate;
  routes: Hono<ControlEnv>;
}

export async function buildSignIn(
  config: Config,
  store: Store,
  tokenKeys: TokenKeys,
  security: SecurityLog,
  signIns: SignInMetrics,
): Promise<SignIn> {
  const gatewayOrigin = `${config.PUBLIC_SCHEME}://${config.GATEWAY_FQDN}`;
  const keys = await loadAuthKeys(config);
  const sessions = new SessionKeeper(keys.sessionSecret, Math.round(config.SESSION_TTL / 1000));
  const assertions = await IdentityAssertions.create(keys.assertionKeys, keys.assertionKid, gatewayOrigin);
  const secure = config.PUBLIC_SCHEME === 'https';
  return {
    gate: new AccessGate({ sessions, assertions, store, gatewayOrigin, secure, security, signIns }),
    routes: authRoutes({
      store,
      sessions,
      assertions,
      userTokenKey: tokenKeys.key,
      algorithms: tokenKeys.algorithms,
      domain: config.DOMAIN,
      gatewayOrigin,
      scheme: config.PUBLIC_SCHEME,
      portSuffix: /:\d+$/.exec(config.GATEWAY_FQDN)?.[0] ?? '',
      loginUrl: config.LOGIN_URL,
      devKey: tokenKeys.devKey,
      security,
      signIns,
    }),
  };
}
