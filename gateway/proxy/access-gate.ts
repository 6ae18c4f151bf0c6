/**
 * The service-host side of browser sign-in, runtime-neutral. Per request (hot path): read the session
 * cookie, verify it (a Map hit after the first time), evaluate the route's access level. A page
 * navigation without a session starts a sign-in flow (redirect to the gateway's authorize endpoint with
 * a per-flow state cookie); anything else gets 401 JSON. A user who may not see the service gets the
 * same 404 as an unknown host, where a signed-in visitor may sign out and sign in again
 * (`/_dg/sign-out`). `/_dg/callback` finishes a flow.
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
import { isSignOutCheck, signOutCheck } from '../auth/sign-out-check.ts';
import { type SignInMetrics, SignInResult } from '../metrics/sign-in-metrics.ts';
import { type SecurityLog, SecurityReason } from '../security-log.ts';
import type { Route, Store } from '../store/store.ts';
import { errorAnswer, type ProxyErrorAnswer, wantsHtml } from './pages.ts';

/** Paths under this prefix on a container hostname belong to the gateway, never to the app. */
export const RESERVED_PREFIX = '/_dg/';
export const CALLBACK_PATH = '/_dg/callback';
/** `POST` only, from the gateway's own "Nothing here" page (its query carries the session's check). */
export const SIGN_OUT_PATH = '/_dg/sign-out';
const FLOW_ID = /^[A-Za-z0-9_-]{8,64}$/;
const STATE = /^[A-Za-z0-9_-]{16,128}$/;
const FLOW_TTL_SECONDS = 600;

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
  security: SecurityLog;
  /** `gateway_sign_in_total{step,result}`: the callback and the service-host sign-out. */
  signIns: Pick<SignInMetrics, 'count'>;
}

const randomId = (bytes: number) =>
  Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('base64url');

/** Same-host path only: no scheme, no `//host`, no backslashes. */
export const isLocalPath = (path: string) =>
  path.startsWith('/') && !path.startsWith('//') && !path.includes('\\') && !/[\r\n]/.test(path);

/** Where a new sign-in flow returns: the request's own path, unless it is not a plain local one. */
const returnPath = (url: string) => (isLocalPath(url) && !url.startsWith(RESERVED_PREFIX) ? url : '/');

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
    if (!mayAccess(viewer, route)) {
      this.o.security.event(SecurityReason.AccessDenied, { hostname: route.hostname, userId: viewer.userId });
      const answer = this.#notFound(route.hostname, request, viewer);
      return answer instanceof Promise
        ? answer.then((a) => ({ allow: false, answer: a }))
        : { allow: false, answer };
    }
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

  /**
   * The 404 for a hostname without a route. It is the page a refused visitor gets: a navigating visitor
   * with a valid session for this hostname is offered to sign out in both, and nobody else in either.
   */
  notFound(hostname: string, request: GateRequest): ProxyErrorAnswer | Promise<ProxyErrorAnswer> {
    const token = readCookie(request.cookie, SESSION_COOKIE);
    if (!token || !wantsHtml(request.secFetchMode, request.accept))
      return this.#notFound(hostname, request, undefined);
    const viewer = this.o.sessions.viewer(token, hostname);
    return viewer instanceof Promise
      ? viewer.then((v) => this.#notFound(hostname, request, v))
      : this.#notFound(hostname, request, viewer);
  }

  #notFound(
    hostname: string,
    request: GateRequest,
    viewer: Viewer | undefined,
  ): ProxyErrorAnswer | Promise<ProxyErrorAnswer> {
    const info = { code: ErrorCode.NoRoute, hostname };
    const html = wantsHtml(request.secFetchMode, request.accept);
    const token = readCookie(request.cookie, SESSION_COOKIE);
    if (!html || !viewer || !token) return errorAnswer(info, html);
    return signOutCheck(token).then((check) =>
      errorAnswer(info, true, {
        username: viewer.username,
        action: `${SIGN_OUT_PATH}?${new URLSearchParams({ check, path: returnPath(request.url) })}`,
        label: 'Sign out and sign in again',
      }),
    );
  }

  /** `POST /_dg/sign-out?check&path`: ends this host's session and starts a new sign-in flow. */
  async signOut(hostname: string, request: GateRequest): Promise<ProxyErrorAnswer> {
    const query = new URL(request.url, 'http://x').searchParams;
    const token = readCookie(request.cookie, SESSION_COOKIE);
    if (!token || !(await isSignOutCheck(query.get('check') ?? '', token))) {
      this.o.security.event(SecurityReason.CsrfRefused, { path: SIGN_OUT_PATH, hostname });
      this.o.signIns.count('sign_out', SignInResult.CheckRefused);
      return errorAnswer({ code: ErrorCode.Forbidden }, wantsHtml(request.secFetchMode, request.accept));
    }
    this.o.signIns.count('sign_out', SignInResult.Ok);
    return this.#startFlow(hostname, query.get('path') ?? '/', 303, [
      clearCookie(SESSION_COOKIE, '/', this.o.secure),
    ]);
  }

  /** Redirects a navigation to the gateway's authorize endpoint, with this flow's state in a cookie. */
  #startFlow(hostname: string, url: string, status = 302, cookies: string[] = []): ProxyErrorAnswer {
    const flow = randomId(12);
    const state = randomId(24);
    const location = `${this.o.gatewayOrigin}/auth/authorize?${new URLSearchParams({ host: hostname, flow, state })}`;
    const flowCookie = setCookie(
      `${FLOW_COOKIE_PREFIX}${flow}`,
      `${state}.${Buffer.from(returnPath(url)).toString('base64url')}`,
      { maxAgeSeconds: FLOW_TTL_SECONDS, path: RESERVED_PREFIX, secure: this.o.secure },
    );
    return {
      status,
      headers: {
        location,
        'cache-control': 'no-store',
        'set-cookie': cookies.length === 0 ? flowCookie : [...cookies, flowCookie],
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
    if (!FLOW_ID.test(flow) || !STATE.test(state) || code === '') {
      this.o.signIns.count('callback', SignInResult.BadRequest);
      return refuse('The sign-in link is incomplete.');
    }
    const flowCookie = readCookie(cookieHeader, `${FLOW_COOKIE_PREFIX}${flow}`);
    const [expectedState, encodedPath] = (flowCookie ?? '').split('.');
    if (!expectedState || expectedState !== state) {
      this.o.signIns.count('callback', SignInResult.StateMismatch);
      return refuse('The sign-in state does not match this browser.');
    }
    const raw = await this.o.store.takeAuthCode(code);
    const grant = raw
      ? (JSON.parse(raw) as { host: string; userId: string; username: string; grants: string[]; exp: number })
      : undefined;
    if (!grant || grant.host !== hostname) {
      this.o.signIns.count('callback', SignInResult.CodeInvalid);
      return refuse('The sign-in code is not valid (used, expired, or for another address).');
    }
    const viewer: Viewer = { userId: grant.userId, username: grant.username, grants: new Set(grant.grants) };
    const session = await this.o.sessions.sign(viewer, hostname, grant.exp);
    const path = Buffer.from(encodedPath ?? '', 'base64url').toString();
    this.o.signIns.count('callback', SignInResult.Ok);
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
