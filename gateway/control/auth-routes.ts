/**
 * The gateway-host side of browser sign-in: the authorize endpoint (checks the user's session and the
 * target's policy, hands out a one-time code bound to the hostname), the platform login (user token ->
 * gateway session), a development login page, logout, and the JWKS apps verify assertions with.
 * Posts are taken only from the gateway's own pages, and the login post also from LOGIN_URL's origin
 * (`auth/origin-guard.ts`); every `next` passes `auth/next-target.ts`.
 */
import { type Context, Hono } from 'hono';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import { isContainerHost, normaliseHost } from '../../shared/hostnames.ts';
import type { IdentityAssertions } from '../auth/assertion.ts';
import type { VerificationKey } from '../auth/container-token.ts';
import { clearCookie, GATEWAY_COOKIE, readCookie, setCookie } from '../auth/cookies.ts';
import type { DevKey } from '../auth/dev-key.ts';
import { AUTHORIZE_PATH, createNextCheck } from '../auth/next-target.ts';
import { createOriginGuard } from '../auth/origin-guard.ts';
import { mayAccess, type Viewer } from '../auth/policy.ts';
import { GATEWAY_AUDIENCE, type SessionKeeper } from '../auth/sessions.ts';
import { verifyUserToken } from '../auth/user-token.ts';
import { type SignInMetrics, SignInResult } from '../metrics/sign-in-metrics.ts';
import { errorAnswer } from '../proxy/pages.ts';
import { type SecurityLog, SecurityReason } from '../security-log.ts';
import type { Store } from '../store/store.ts';
import { devLoginPage, mintUserToken } from './dev-login.ts';
import type { ControlEnv } from './env.ts';

const FLOW_ID = /^[A-Za-z0-9_-]{8,64}$/;
const STATE = /^[A-Za-z0-9_-]{16,128}$/;
const CODE_TTL_MS = 60_000;
const LOGOUT_PATH = '/auth/logout';

export interface AuthRoutesDeps {
  store: Store;
  sessions: SessionKeeper;
  assertions: IdentityAssertions;
  userTokenKey: VerificationKey;
  algorithms: string[];
  domain: string;
  /** `http(s)://<GATEWAY_FQDN>`. */
  gatewayOrigin: string;
  scheme: 'http' | 'https';
  /** `:port` of public URLs ('' for the default port). */
  portSuffix: string;
  loginUrl?: string;
  devKey?: DevKey;
  security: SecurityLog;
  /** `gateway_sign_in_total{step,result}`. */
  signIns: Pick<SignInMetrics, 'count'>;
}

const refuse = (message: string) => new GatewayError(ErrorCode.BadRequest, message, 400);
const randomCode = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');

export function authRoutes(deps: AuthRoutesDeps): Hono<ControlEnv> {
  const app = new Hono<ControlEnv>();
  const secure = deps.scheme === 'https';
  const nextTarget = createNextCheck(deps.gatewayOrigin);
  /** `next` as checked: a value that is present but not this gateway's authorize URL is dropped and logged. */
  const checkedNext = (c: Context<ControlEnv>, next: unknown) => {
    const target = nextTarget(next);
    if (target === undefined && next !== undefined && next !== '')
      deps.security.event(SecurityReason.RedirectRefused, {
        path: c.req.path,
        requestId: c.get('requestId'),
      });
    return target;
  };
  /** The platform's login page, told to come back to `next` (an absolute URL on this gateway). */
  const platformLogin = (loginUrl: string, next: string | undefined) => {
    const url = new URL(loginUrl);
    if (next !== undefined) url.searchParams.set('next', `${deps.gatewayOrigin}${next}`);
    return url.href;
  };
  /**
   * One page for "no such service" and "not yours": the signed-in user may sign out and come back to
   * `next` (this authorize URL) through the login, as someone else.
   */
  const notFoundPage = (c: Context, hostname: string, viewer: Viewer, next: string) => {
    const offer = {
      username: viewer.username,
      action: LOGOUT_PATH,
      fields: { next },
      label: 'Sign in as someone else',
    };
    const answer = errorAnswer({ code: ErrorCode.NoRoute, hostname }, true, offer);
    c.header('cache-control', 'no-store');
    return c.html(answer.body, 404);
  };

  /** Sets the gateway-host session from a verified user token and continues to `next`. */
  const signIn = async (c: Context<ControlEnv>, userToken: string, next: unknown) => {
    const { viewer, exp } = await verifyUserToken(userToken, deps.userTokenKey, deps.algorithms).catch(
      (err: unknown) => {
        deps.security.event(SecurityReason.UserTokenRefused, {
          path: c.req.path,
          requestId: c.get('requestId'),
        });
        deps.signIns.count('login', SignInResult.TokenRefused);
        throw err;
      },
    );
    deps.signIns.count('login', SignInResult.Ok);
    const session = await deps.sessions.sign(viewer, GATEWAY_AUDIENCE, exp);
    c.header(
      'set-cookie',
      setCookie(GATEWAY_COOKIE, session.token, { maxAgeSeconds: session.maxAgeSeconds, secure }),
    );
    c.header('cache-control', 'no-store');
    return c.redirect(checkedNext(c, next) ?? '/', 303);
  };

  const originAdmitted = createOriginGuard(deps.gatewayOrigin, deps.loginUrl);
  app.use('/auth/*', async (c, next) => {
    const request = {
      method: c.req.method,
      path: c.req.path,
      origin: c.req.header('origin'),
      secFetchSite: c.req.header('sec-fetch-site'),
    };
    if (!originAdmitted(request)) {
      deps.security.event(SecurityReason.CsrfRefused, {
        method: request.method,
        path: request.path,
        requestId: c.get('requestId'),
      });
      deps.signIns.count(request.path === LOGOUT_PATH ? 'sign_out' : 'login', SignInResult.OriginRefused);
      throw new GatewayError(ErrorCode.Forbidden, 'this form may not be posted from another site', 403);
    }
    await next();
  });

  app.get('/auth/authorize', async (c) => {
    const { host = '', flow = '', state = '' } = c.req.query();
    const hostname = normaliseHost(host);
    // Only container hostnames under our domain: never another domain, never an open redirect.
    const badRequest = (message: string) => {
      deps.signIns.count('authorize', SignInResult.BadRequest);
      return refuse(message);
    };
    if (hostname === undefined || hostname !== host || !isContainerHost(hostname, deps.domain))
      throw badRequest('the sign-in target is not a container address of this gateway');
    if (!FLOW_ID.test(flow) || !STATE.test(state)) throw badRequest('the sign-in request is incomplete');
    const viewer = await deps.sessions.viewer(
      readCookie(c.req.header('cookie'), GATEWAY_COOKIE),
      GATEWAY_AUDIENCE,
    );
    const next = `${AUTHORIZE_PATH}?${new URLSearchParams({ host: hostname, flow, state })}`;
    if (!viewer) {
      deps.signIns.count('authorize', SignInResult.LoginRequired);
      if (deps.loginUrl) return c.redirect(platformLogin(deps.loginUrl, next), 302);
      if (deps.devKey) return c.redirect(`/auth/login?${new URLSearchParams({ next })}`, 302);
      throw new GatewayError(ErrorCode.Unauthorized, 'sign in through the platform first', 401);
    }
    const route = await deps.store.resolve(hostname);
    if (!route || !mayAccess(viewer, route)) {
      if (route)
        deps.security.event(SecurityReason.AccessDenied, {
          hostname,
          userId: viewer.userId,
          requestId: c.get('requestId'),
        });
      deps.signIns.count('authorize', SignInResult.NotAllowed);
      return notFoundPage(c, hostname, viewer, next);
    }
    const code = randomCode();
    const grant = {
      host: hostname,
      userId: viewer.userId,
      username: viewer.username,
      grants: [...viewer.grants],
      exp: viewer.sessionExp ?? 0,
    };
    await deps.store.putAuthCode(code, JSON.stringify(grant), CODE_TTL_MS);
    deps.signIns.count('authorize', SignInResult.Ok);
    c.header('cache-control', 'no-store');
    return c.redirect(
      `${deps.scheme}://${hostname}${deps.portSuffix}/_dg/callback?${new URLSearchParams({ code, state, flow })}`,
      302,
    );
  });

  app.get('/auth/login', (c) => {
    const next = checkedNext(c, c.req.query('next'));
    if (deps.loginUrl) return c.redirect(platformLogin(deps.loginUrl, next), 302);
    if (!deps.devKey)
      throw new GatewayError(ErrorCode.NotFound, 'no login page: sign in through the platform', 404);
    return c.html(devLoginPage(next ?? ''));
  });

  app.post('/auth/login', async (c) => {
    const form = await c.req.parseBody();
    const bearer = c.req.header('authorization')?.replace(/^bearer\s+/i, '');
    const token = typeof form.token === 'string' ? form.token : bearer;
    if (!token) {
      deps.signIns.count('login', SignInResult.BadRequest);
      throw refuse('a user token is required');
    }
    return signIn(c, token, form.next);
  });

  app.post('/auth/dev-login', async (c) => {
    if (!deps.devKey) throw new GatewayError(ErrorCode.NotFound, 'development login is off', 404);
    const form = await c.req.parseBody();
    const token = await mintUserToken(deps.devKey, form);
    return signIn(c, token, form.next);
  });

  app.post(LOGOUT_PATH, async (c) => {
    const form = await c.req.parseBody();
    c.header('set-cookie', clearCookie(GATEWAY_COOKIE, '/', secure));
    deps.signIns.count('sign_out', SignInResult.Ok);
    c.header('cache-control', 'no-store');
    return c.redirect(checkedNext(c, form.next) ?? '/', 303);
  });

  app.get('/.well-known/jwks.json', (c) => {
    c.header('cache-control', 'public, max-age=300');
    return c.json(deps.assertions.jwks());
  });
  return app;
}
