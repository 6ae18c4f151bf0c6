/**
 * The provider's interaction (`GET /oidc/interaction/<uid>`): who the user is comes from the gateway-host
 * session (`dg_gw`, set by the sign-in flow); without one the browser goes through the platform's login
 * (LOGIN_URL, or the development login) and comes back here. A user who may not see the client's service
 * gets the proxy's own refusal: the same 404 page as an unknown host, nothing about the service. Consent is
 * implicit (provider.ts, loadExistingGrant).
 */
import type { KoaContext, Provider } from 'oidc-provider';
import { ErrorCode } from '../../shared/errors.ts';
import { GATEWAY_COOKIE, readCookie } from '../auth/cookies.ts';
import { INTERACTION_PATH } from '../auth/next-target.ts';
import { mayAccess, type Viewer } from '../auth/policy.ts';
import { GATEWAY_AUDIENCE, type SessionKeeper } from '../auth/sessions.ts';
import { type SignInMetrics, SignInResult } from '../metrics/sign-in-metrics.ts';
import { errorAnswer } from '../proxy/pages.ts';
import { type SecurityLog, SecurityReason } from '../security-log.ts';
import type { Store } from '../store/store.ts';
import { hashId } from './adapter.ts';
import type { OidcClients } from './clients.ts';

export interface InteractionDeps {
  provider: Provider;
  store: Store;
  clients: OidcClients;
  sessions: SessionKeeper;
  /** The platform's login page; without it, the development login when there is one. */
  loginUrl?: string;
  devLogin: boolean;
  gatewayOrigin: string;
  security: SecurityLog;
  /** `gateway_sign_in_total{step="oidc_interaction",result}`. */
  signIns: Pick<SignInMetrics, 'count'>;
}

export function interactionMiddleware(deps: InteractionDeps) {
  const { provider } = deps;
  const page = (ctx: KoaContext, status: number, body: string) => {
    ctx.status = status;
    ctx.type = 'html';
    ctx.set('cache-control', 'no-store');
    ctx.body = body;
  };
  /** The proxy's 404 for a service a user may not see, with its "sign in as someone else". */
  const notFound = (ctx: KoaContext, hostname: string | undefined, viewer: Viewer) =>
    page(
      ctx,
      404,
      errorAnswer({ code: ErrorCode.NoRoute, hostname }, true, {
        username: viewer.username,
        action: '/auth/logout',
        fields: { next: ctx.path },
        label: 'Sign in as someone else',
      }).body,
    );

  const counted = (result: SignInResult) => deps.signIns.count('oidc_interaction', result);
  return async (ctx: KoaContext, next: () => Promise<void>) => {
    const match = INTERACTION_PATH.exec(ctx.path);
    if (!match || ctx.method !== 'GET') return next();
    const details = await provider.interactionDetails(ctx.req, ctx.res).catch(() => undefined);
    if (!details || details.uid !== match[1]) {
      // Unknown or expired (10 minutes): the app starts a new sign-in.
      counted(SignInResult.BadRequest);
      return page(ctx, 400, errorAnswer({ code: ErrorCode.BadRequest }, true).body);
    }
    const viewer = await deps.sessions.viewer(
      readCookie(ctx.get('cookie'), GATEWAY_COOKIE),
      GATEWAY_AUDIENCE,
    );
    if (!viewer) {
      counted(SignInResult.LoginRequired);
      ctx.set('cache-control', 'no-store');
      if (deps.loginUrl) {
        const login = new URL(deps.loginUrl);
        login.searchParams.set('next', `${deps.gatewayOrigin}${ctx.path}`);
        return ctx.redirect(login.href);
      }
      if (deps.devLogin) return ctx.redirect(`/auth/login?${new URLSearchParams({ next: ctx.path })}`);
      return page(ctx, 400, errorAnswer({ code: ErrorCode.BadRequest }, true).body);
    }
    const clientId = String(details.params.client_id ?? '');
    const owner = await deps.clients.owner(clientId);
    const route = owner ? await deps.store.resolve(owner.hostname, owner.containerId) : null;
    if (!owner || !route || !mayAccess(viewer, route)) {
      if (route)
        deps.security.event(SecurityReason.AccessDenied, { hostname: route.hostname, userId: viewer.userId });
      counted(SignInResult.NotAllowed);
      return notFound(ctx, owner?.hostname, viewer);
    }
    // The account as this session says, for the token and userinfo endpoints (and other gateways).
    const remaining = Math.max(1, (viewer.sessionExp ?? 0) - Math.floor(Date.now() / 1000));
    await deps.store.oidc.put(
      'Account',
      hashId(viewer.userId),
      JSON.stringify({ username: viewer.username, grants: [...viewer.grants] }),
      { ttlMs: remaining * 1000 },
    );
    const returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { login: { accountId: viewer.userId } },
      { mergeWithLastSubmission: false },
    );
    counted(SignInResult.Ok);
    ctx.set('cache-control', 'no-store');
    ctx.redirect(returnTo);
    ctx.status = 303;
  };
}
