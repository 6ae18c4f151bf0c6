/**
 * The gateway as an OpenID Connect provider (issue 19), built on `oidc-provider` (certified, by the author
 * of `jose`). Issuer: the gateway's origin. ID tokens are signed with the gateway's assertion key (the one
 * `/.well-known/jwks.json` lists). Authorization code flow only, PKCE (S256) on every request, codes 60 s
 * and single use; records in the store (adapter.ts); clients from the route table (clients.ts); the user
 * from the gateway-host sign-in session (interaction.ts).
 */
import type { JWK } from 'jose';
import type { Adapter, KoaContext, Provider } from 'oidc-provider';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import type { Logger } from '../log.ts';
import { STORE_RETRY_AFTER_SECONDS, type Store } from '../store/store.ts';
import { hashId, storeAdapter } from './adapter.ts';
import { CLIENT_SCOPES, type OidcClients } from './clients.ts';
import { type InteractionDeps, interactionMiddleware } from './interaction.ts';

/** Paths of the provider, all under /oidc/ (the gateway's own `/auth/*` is its sign-in) but discovery. */
export const OIDC_ROUTES = {
  authorization: '/oidc/auth',
  token: '/oidc/token',
  userinfo: '/oidc/me',
  jwks: '/.well-known/jwks.json',
  end_session: '/oidc/session/end',
  revocation: '/oidc/token/revocation',
  introspection: '/oidc/token/introspection',
} as const;

const ID_TOKEN_TTL_S = 600;
const ACCESS_TOKEN_TTL_S = 600;
const CODE_TTL_S = 60;
const INTERACTION_TTL_S = 600;

export interface OidcProviderDeps extends Omit<InteractionDeps, 'provider'> {
  issuer: string;
  store: Store;
  clients: OidcClients;
  /** The assertion key's private JWK with its `kid` (gateway/auth/auth-keys.ts). */
  signingKey: JWK & { kid: string };
  /** Keys that sign the provider's cookies (derived from SESSION_SECRET: shared by a pool). */
  cookieKeys: string[];
  /** SESSION_TTL in seconds: the provider's sessions and grants last no longer. */
  sessionTtlSeconds: number;
  log: Logger;
}

/** The user's account as the interaction saw it (the session's claims), kept for the token endpoints. */
export interface StoredAccount {
  username: string;
  grants: string[];
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Builds the provider. `oidc-provider` is loaded here, so a gateway that never builds one never loads it. */
export async function createOidcProvider(deps: OidcProviderDeps): Promise<Provider> {
  const { Provider, interactionPolicy, errors } = await loadOidcProvider(deps.log);
  const policy = interactionPolicy.base();
  // Every authorization goes through the interaction: the gateway session and the access policy are
  // checked each time (a session of the provider alone would skip both). Not on the resume itself.
  policy
    .get('login')
    ?.checks.push(
      new interactionPolicy.Check(
        'gateway_check',
        'the gateway checks its session and policy on every authorization',
        (ctx) => ctx.oidc.result === undefined,
      ),
    );
  const Adapter: new (name: string) => Adapter = storeAdapter(
    deps.store,
    deps.clients,
    () => new errors.InvalidGrant('grant request is invalid'),
  );
  const provider = new Provider(deps.issuer, {
    adapter: Adapter,
    jwks: { keys: [{ ...deps.signingKey, alg: 'ES256', use: 'sig' }] },
    routes: OIDC_ROUTES,
    scopes: [...CLIENT_SCOPES],
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name'],
      groups: ['groups'],
    },
    // The claims of the granted scopes in the ID token too: many apps (pgAdmin) read only the ID token.
    conformIdTokenClaims: false,
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    responseTypes: ['code'],
    pkce: { required: () => true },
    enabledJWA: {
      idTokenSigningAlgValues: ['ES256'],
      clientAuthSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA', 'Ed25519'],
    },
    cookies: {
      keys: deps.cookieKeys,
      names: { session: 'dg_oidc_session', interaction: 'dg_oidc_interaction', resume: 'dg_oidc_resume' },
      long: { httpOnly: true, sameSite: 'lax', signed: true },
      short: { httpOnly: true, sameSite: 'lax', signed: true },
    },
    features: {
      devInteractions: { enabled: false },
      userinfo: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
    },
    ttl: {
      AuthorizationCode: CODE_TTL_S,
      AccessToken: ACCESS_TOKEN_TTL_S,
      IdToken: ID_TOKEN_TTL_S,
      Interaction: INTERACTION_TTL_S,
      Session: deps.sessionTtlSeconds,
      Grant: deps.sessionTtlSeconds,
    },
    interactions: {
      policy,
      url: (_ctx: KoaContext, interaction: { uid: string }) => `/oidc/interaction/${interaction.uid}`,
    },
    // Consent is implicit for a container's own clients: a grant of what it asked within what it may ask.
    loadExistingGrant: async (ctx: KoaContext) => {
      const { client, session, provider: p } = ctx.oidc;
      const accountId = session?.accountId;
      if (!client || !accountId) return undefined;
      const known = session.grantIdFor(client.clientId);
      const found = known ? await p.Grant.find(known) : undefined;
      const grant =
        found && found.accountId === accountId && found.clientId === client.clientId
          ? found
          : new p.Grant({ clientId: client.clientId, accountId });
      const asked = [...ctx.oidc.requestParamScopes].filter((s) =>
        (CLIENT_SCOPES as readonly string[]).includes(s),
      );
      grant.addOIDCScope(asked.join(' '));
      await grant.save();
      return grant;
    },
    findAccount: async (ctx: KoaContext, sub: string) => {
      const found = await deps.store.oidc.get('Account', hashId(sub));
      if (!found) return undefined;
      const account = JSON.parse(found.payload) as StoredAccount;
      const owner = ctx.oidc.client ? await deps.clients.owner(ctx.oidc.client.clientId) : undefined;
      // Only the grants of the client's own organisation and project: nothing about the user's others.
      const groups = owner
        ? account.grants.filter(
            (g) => g.startsWith(`org:${owner.orgId}:`) || g.startsWith(`project:${owner.projectId}:`),
          )
        : [];
      return {
        accountId: sub,
        claims: () => ({ sub, preferred_username: account.username, name: account.username, groups }),
      };
    },
    renderError: (ctx: KoaContext, out: { error: string; error_description?: string }) => {
      ctx.type = 'html';
      ctx.body = `<!doctype html><meta charset="utf-8"><title>Sign-in error</title><h1>${escapeHtml(out.error)}</h1><p>${escapeHtml(out.error_description ?? '')}</p>`;
    },
    // Browsers may call userinfo (and a public client the token endpoint) from the client's own origins only.
    clientBasedCORS: (
      ctx: KoaContext,
      origin: string,
      client: { clientAuthMethod: string; redirectUris: string[] },
    ) =>
      origin !== 'null' &&
      (ctx.oidc.route === 'userinfo' || client.clientAuthMethod === 'none') &&
      client.redirectUris.some((uri) => URL.canParse(uri) && new URL(uri).origin === origin),
  });
  provider.proxy = true;
  // Errors are answered by the provider; a line says what kind, never a token, code or cookie. A store
  // that cannot answer is not logged per request (the store's health says so once) and is answered as
  // everywhere else in the gateway (below).
  provider.on('server_error', (ctx, err) => {
    if (err instanceof GatewayError && err.code === ErrorCode.StoreUnavailable) {
      (ctx as KoaContext).state[STORE_FAILED] = err;
      return;
    }
    deps.log.error('oidc provider error', { error: (err as Error)?.name, message: (err as Error)?.message });
  });
  provider.use(answerStoreOutage);
  provider.use(interactionMiddleware({ ...deps, provider }));
  return provider;
}

const STORE_FAILED = 'dgStoreUnavailable';

/**
 * A request the store failed: 503 `GW_ERR_STORE_UNAVAILABLE` with `Retry-After`, as every other path
 * answers an outage, instead of the provider's 500 `server_error`.
 */
async function answerStoreOutage(ctx: KoaContext, next: () => Promise<void>): Promise<void> {
  await next();
  const err = ctx.state[STORE_FAILED];
  if (!(err instanceof GatewayError)) return;
  ctx.status = 503;
  ctx.set('retry-after', String(STORE_RETRY_AFTER_SECONDS));
  ctx.set('cache-control', 'no-store');
  ctx.type = 'json';
  ctx.body = JSON.stringify(err.toBody());
}

/**
 * Imports oidc-provider. On Node < 22 it prints one unstructured warning line when first loaded
 * ("Unsupported runtime"); that line is turned into one of our JSON lines. Measured on Node 20.20: the
 * whole flow works (test/oidc/).
 */
async function loadOidcProvider(log: Logger): Promise<typeof import('oidc-provider')> {
  const warn = console.warn;
  let warned = '';
  console.warn = (...args: unknown[]) => {
    warned = args.map(String).join(' ');
  };
  try {
    return await import('oidc-provider');
  } finally {
    console.warn = warn;
    if (warned) log.info('oidc-provider warns about this runtime', { warning: warned.slice(0, 200) });
  }
}
