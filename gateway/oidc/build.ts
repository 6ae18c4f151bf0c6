/** Builds the OpenID Connect provider: clients, the provider on its internal listener, the control app's routes. */
import type { Hono } from 'hono';
import { exportJWK } from 'jose';
import type { AuthKeys } from '../auth/auth-keys.ts';
import type { SessionKeeper } from '../auth/sessions.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { SignInMetrics } from '../metrics/sign-in-metrics.ts';
import type { SecurityLog } from '../security-log.ts';
import type { Store } from '../store/store.ts';
import { OidcClients } from './clients.ts';
import { createOidcProvider } from './provider.ts';
import { listenProvider, type ProviderListener, providerRoutes } from './provider-listener.ts';

export interface Oidc {
  clients: OidcClients;
  /** Discovery and `/oidc/*`, mounted on the control app. */
  routes: Hono;
  close(): Promise<void>;
}

export interface OidcBuildDeps {
  config: Config;
  /** `<PUBLIC_SCHEME>://<GATEWAY_FQDN>`: the issuer. */
  gatewayOrigin: string;
  /** GATEWAY_FQDN's `:port`, or '': browsers reach container hostnames on the same port. */
  portSuffix: string;
  store: Store;
  keys: AuthKeys;
  sessions: SessionKeeper;
  devLogin: boolean;
  security: SecurityLog;
  signIns: Pick<SignInMetrics, 'count'>;
  log: Logger;
}

/** A key for the provider's cookies, derived from SESSION_SECRET (every gateway of a pool derives the same). */
async function cookieKey(secret: Uint8Array): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    secret as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await crypto.subtle.sign('HMAC', key, new TextEncoder().encode('dg-oidc-cookies'));
  return Buffer.from(mac).toString('base64url');
}

export async function buildOidc(deps: OidcBuildDeps): Promise<Oidc> {
  const { config, store } = deps;
  const { gatewayOrigin: issuer, portSuffix } = deps;
  const clients = new OidcClients({
    store,
    secretKey: deps.keys.sessionSecret,
    issuer,
    originOf: (hostname) => `${config.PUBLIC_SCHEME}://${hostname}${portSuffix}`,
  });
  const signingKey = {
    ...(await exportJWK(deps.keys.assertionKeys.privateKey)),
    kid: deps.keys.assertionKid,
  };
  const cookieKeys = [await cookieKey(deps.keys.sessionSecret)];
  // Built on the first provider request, not at start: a gateway whose apps never use it never loads
  // oidc-provider and Koa (measured on Node 20: about 20 MB of idle RSS, 200 ms of start-up).
  let started: Promise<ProviderListener> | undefined;
  let closed = false;
  const listener = () => {
    if (closed) return Promise.reject(new Error('the OpenID Connect provider is stopped'));
    started ??= startProvider().catch((err: unknown) => {
      started = undefined; // the next request tries again
      throw err;
    });
    return started;
  };
  const startProvider = async () => {
    const provider = await createOidcProvider({
      issuer,
      store,
      clients,
      signingKey,
      cookieKeys,
      sessionTtlSeconds: Math.max(60, Math.round(config.SESSION_TTL / 1000)),
      sessions: deps.sessions,
      loginUrl: config.LOGIN_URL,
      devLogin: deps.devLogin,
      gatewayOrigin: issuer,
      security: deps.security,
      signIns: deps.signIns,
      log: deps.log,
    });
    return listenProvider(provider);
  };
  return {
    clients,
    routes: providerRoutes({
      target: async () => (await listener()).origin,
      publicHost: config.GATEWAY_FQDN,
      scheme: config.PUBLIC_SCHEME,
    }),
    close: async () => {
      closed = true;
      const running = await started?.catch(() => undefined);
      await running?.close();
    },
  };
}
