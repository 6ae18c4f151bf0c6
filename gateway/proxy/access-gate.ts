/**
 * The service-host side of browser sign-in, runtime-neutral. Per request (hot path): read the session
 * cookie, verify it (a Map hit after the first time), evaluate the route's access level. A page
 * navigation without a session starts a sign-in flow (redirect to the gateway's authorize endpoint with
 * a per-flow state cookie); anything else gets 401 JSON. A user who may not see the service gets the
 * same 404 as an unknown host. `/_dg/callback` finishes a flow.
 */
import { ErrorCode } from '../../shared/errors.ts';
import type { IdentityAssertions } from '../auth/assertion.ts';
import {
  clearCookie,
  FLOW_COOKIE_PREFIX,
  readCookie,
  SESSION_COOKIE,
  setCookie,
  withoutGatewayCookies,
} from '../auth/cookies.ts';
import { mayAccess, type Viewer } from '../auth/policy.ts';
import type { SessionKeeper } from '../auth/sessions.ts';
import type { Route, Store } from '../store/store.ts';
import { errorAnswer, type ProxyErrorAnswer } from './pages.ts';

/** Paths under this prefix on a container hostname belong to the gateway, never to the app. */
export const RESERVED_PREFIX = '/_dg/';
export const CALLBACK_PATH = '/_dg/callback';
const FLOW_ID = /^[A-Za-z0-9_-]{8,64}$/;
const STATE = /^[A-Za-z0-9_-]{16,128}$/;
const FLOW_TTL_SECONDS = 600;

/** Identity headers only the gateway may set: a client's own copies are dropped before forwarding. */
export const IDENTITY_HEADERS: ReadonlySet<string> = new Set([
  'x-forwarded-user',
  'x-forwarded-preferred-username',
  'x-forwarded-email',
  'x-forwarded-groups',
  'x-forwarded-access-token',
  'x-demiurge-assertion',
  'x-auth-request-user',
  'x-auth-request-email',
  'x-auth-request-preferred-username',
  'x-remote-user',
  'remote-user',
]);

export interface GateRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  cookie: string | undefined;
  secFetchMode: string | undefined;
  accept: string | undefined;
  /** A WebSocket (or other) upgrade: never redirected. */
  upgrade: boolean;
}

export type GateResult =
  | { allow: true; viewer?: Viewer; identityHeaders?: string[]; cookie?: string }
  | { allow: false; answer: ProxyErrorAnswer };

export interface AccessGateOptions {
  sessions: SessionKeeper;
  assertions: IdentityAssertions;
  store: Store;
  /** `http(s)://<GATEWAY_FQDN>`: where /auth/authorize lives. */
  gatewayOrigin: string;
  /** Cookies get `Secure` behind TLS. */
  secure: boolean;
}

const randomId = (bytes: number) =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('base64url');

/** Same-host path only: no scheme, no `//host`, no backslashes. */
export const isLocalPath = (path: string) =>
  path.startsWith('/') && !path.startsWith('//') && !path.includes('\\') && !/[\r\n]/.test(path);

const isNavigation = (r: GateRequest) =>
  !r.upgrade &&
  r.method === 'GET' &&
  (r.secFetchMode ? r.secFetchMode === 'navigate' : (r.accept?.includes('text/html') ?? false));

export class AccessGate {
  constructor(private readonly o: AccessGateOptions) {}

  /** Decides a request on a container hostname; synchronous whenever the session was seen before. */
  check(route: Route, request: GateRequest): GateResult | Promise<GateResult> {
    const cookie = request.cookie === undefined ? undefined : withoutGatewayCookies(request.cookie);
    if (route.access === 'public') return { allow: true, cookie };
    const token = readCookie(request.cookie, SESSION_COOKIE);
    const viewer = this.o.sessions.viewer(token, route.hostname);
    if (viewer instanceof Promise) return viewer.then((v) => this.#decide(route, request, v, cookie));
    return this.#decide(route, request, viewer, cookie);
  }

  #decide(
    route: Route,
    request: GateRequest,
    viewer: Viewer | undefined,
    cookie: string | undefined,
  ): GateResult | Promise<GateResult> {
    if (!viewer)
      return {
        allow: false,
        answer: isNavigation(request) ? this.#startFlow(route.hostname, request.url) : this.#unauthorized(),
      };
    if (!mayAccess(viewer, route))
      return {
        allow: false,
        answer: errorAnswer({ code: ErrorCode.NoRoute, hostname: route.hostname }, isNavigation(request)),
      };
    const assertion = this.o.assertions.assertion(viewer, route.hostname);
    return typeof assertion === 'string'
      ? this.#allow(viewer, cookie, assertion)
      : assertion.then((jwt) => this.#allow(viewer, cookie, jwt));
  }

  #allow(viewer: Viewer, cookie: string | undefined, assertion: string): GateResult {
    return {
      allow: true,
      viewer,
      cookie,
      identityHeaders: [
        'x-forwarded-user',
        viewer.userId,
        'x-forwarded-preferred-username',
        viewer.username,
        'x-demiurge-assertion',
        assertion,
      ],
    };
  }

  #unauthorized(): ProxyErrorAnswer {
    return {
      status: 401,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify({
        error: { code: ErrorCode.Unauthorized, message: 'sign in first: open this address in a browser' },
      }),
    };
  }

  /** Redirects a navigation to the gateway's authorize endpoint, with this flow's state in a cookie. */
  #startFlow(hostname: string, url: string): ProxyErrorAnswer {
    const flow = randomId(12);
    const state = randomId(24);
    const path = isLocalPath(url) && !url.startsWith(RESERVED_PREFIX) ? url : '/';
    const location = `${this.o.gatewayOrigin}/auth/authorize?${new URLSearchParams({ host: hostname, flow, state })}`;
    return {
      status: 302,
      headers: {
        location,
        'cache-control': 'no-store',
        'set-cookie': setCookie(
          `${FLOW_COOKIE_PREFIX}${flow}`,
          `${state}.${Buffer.from(path).toString('base64url')}`,
          {
            maxAgeSeconds: FLOW_TTL_SECONDS,
            path: RESERVED_PREFIX,
            secure: this.o.secure,
          },
        ),
      },
      body: '',
    };
  }

  /** `GET /_dg/callback?code&state&flow` on a service hostname: checks state, redeems the code, sets the session. */
  async callback(hostname: string, url: string, cookieHeader: string | undefined): Promise<ProxyErrorAnswer> {
    const refuse = (message: string): ProxyErrorAnswer => ({
      status: 400,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
      body: `<!doctype html><title>Sign-in failed</title><h1>Sign-in failed</h1><p>${message} <a href="/">Try again</a>.</p>`,
    });
    const query = new URL(url, 'http://x').searchParams;
    const flow = query.get('flow') ?? '';
    const state = query.get('state') ?? '';
    const code = query.get('code') ?? '';
    if (!FLOW_ID.test(flow) || !STATE.test(state) || code === '')
      return refuse('The sign-in link is incomplete.');
    const flowCookie = readCookie(cookieHeader, `${FLOW_COOKIE_PREFIX}${flow}`);
    const [expectedState, encodedPath] = (flowCookie ?? '').split('.');
    if (!expectedState || expectedState !== state)
      return refuse('The sign-in state does not match this browser.');
    const raw = await this.o.store.takeAuthCode(code);
    const grant = raw
      ? (JSON.parse(raw) as { host: string; userId: string; username: string; grants: string[]; exp: number })
      : undefined;
    if (!grant || grant.host !== hostname)
      return refuse('The sign-in code is not valid (used, expired, or for another address).');
    const viewer: Viewer = { userId: grant.userId, username: grant.username, grants: new Set(grant.grants) };
    const session = await this.o.sessions.sign(viewer, hostname, grant.exp);
    const path = Buffer.from(encodedPath ?? '', 'base64url').toString();
    return {
      status: 302,
      headers: {
        location: isLocalPath(path) ? path : '/',
        'cache-control': 'no-store',
        'set-cookie': [
          setCookie(SESSION_COOKIE, session.token, {
            maxAgeSeconds: session.maxAgeSeconds,
            secure: this.o.secure,
          }),
          clearCookie(`${FLOW_COOKIE_PREFIX}${flow}`, RESERVED_PREFIX, this.o.secure),
        ],
      },
      body: '',
    };
  }
}
