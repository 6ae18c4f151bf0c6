/**
 * The whole browser sign-in to a `project` service over raw sockets (issue 14, findings 8 and 11): the
 * platform's login page posts the user token, a navigation is sent to authorize, the callback sets the
 * session, and the app then gets the gateway's identity headers and none of the client's forged ones. A
 * signed-in user without access gets a 404 that offers to sign in as someone else. Steps depend on the
 * ones before them (`requires`).
 */
import { APP_NOTHING, answerBody, appHeader, appNoValue, received, status } from '../checks.ts';
import { type ProbeCase, type ProbeContext, rawCase } from '../probe-case.ts';
import { requestText } from '../requests.ts';
import { headerValues } from '../responses.ts';
import {
  cookieSet,
  FLOW,
  GROUP,
  gatewayOrigin,
  location,
  loginOrigin,
  loginPost,
  STATE,
  setCookie,
} from './browser.ts';

/** What an earlier step kept (the case `requires` it, so it is there when the case is sent). */
const kept = (ctx: ProbeContext, key: string) => ctx.state.get(key) ?? '';

export const signInFlowCases: ProbeCase[] = [
  rawCase(GROUP, {
    id: 'login-post-login-origin',
    send: (ctx) => loginPost(ctx, 'alice', loginOrigin(ctx)),
    checks: () => [status(303), cookieSet('dg_gw')],
    after: (o, ctx) => {
      const cookie = setCookie(o, 'dg_gw');
      if (cookie) ctx.state.set('cookie:login-origin', cookie);
      if (cookie) ctx.secrets.add(cookie);
    },
  }),
  rawCase(GROUP, {
    id: 'private-fetch-no-session',
    send: (ctx) =>
      requestText({ target: '/s/api', host: ctx.hosts.private, headers: [['Accept', 'application/json']] }),
    checks: () => [status(401), APP_NOTHING],
  }),
  rawCase(GROUP, {
    id: 'private-navigation-redirects',
    send: (ctx) =>
      requestText({
        target: '/s/page',
        host: ctx.hosts.private,
        headers: [
          ['Accept', 'text/html'],
          ['Sec-Fetch-Mode', 'navigate'],
        ],
      }),
    checks: (ctx) => [
      status(302),
      {
        expect: 'to /auth/authorize on the gateway host',
        problem: (o) => {
          const loc = location(o) ?? '';
          return loc.startsWith(`${gatewayOrigin(ctx)}/auth/authorize?host=${ctx.hosts.private}&`)
            ? undefined
            : `Location: ${loc || 'none'}`;
        },
      },
      APP_NOTHING,
    ],
    after: (o, ctx) => {
      const loc = location(o);
      const r = o.exchange.responses[0];
      const flow = r ? headerValues(r, 'set-cookie').find((c) => c.startsWith('dg_flow_')) : undefined;
      if (loc) ctx.state.set('authorize', new URL(loc).pathname + new URL(loc).search);
      if (flow) ctx.state.set('cookie:flow', flow.split(';')[0] as string);
    },
  }),
  rawCase(GROUP, {
    id: 'authorize-signed-in',
    requires: ['authorize', 'cookie:login-origin'],
    send: (ctx) =>
      requestText({
        target: kept(ctx, 'authorize'),
        host: ctx.hosts.gateway,
        headers: [['Cookie', `dg_gw=${kept(ctx, 'cookie:login-origin')}`]],
      }),
    checks: (ctx) => [
      status(302),
      {
        expect: 'to /_dg/callback on the service host',
        problem: (o) =>
          (location(o) ?? '').startsWith(`http://${ctx.hosts.private}:${ctx.gateway.port}/_dg/callback?`)
            ? undefined
            : `Location: ${location(o) ?? 'none'}`,
      },
    ],
    after: (o, ctx) => {
      const loc = location(o);
      if (loc) ctx.state.set('callback', new URL(loc).pathname + new URL(loc).search);
    },
  }),
  rawCase(GROUP, {
    id: 'callback-sets-session',
    requires: ['callback', 'cookie:flow'],
    send: (ctx) =>
      requestText({
        target: kept(ctx, 'callback'),
        host: `${ctx.hosts.private}:${ctx.gateway.port}`,
        headers: [['Cookie', kept(ctx, 'cookie:flow')]],
      }),
    checks: () => [status(302), cookieSet('dg_session'), APP_NOTHING],
    after: (o, ctx) => {
      const session = setCookie(o, 'dg_session');
      if (session) ctx.state.set('cookie:session', session);
      if (session) ctx.secrets.add(session);
    },
  }),
  rawCase(GROUP, {
    id: 'signed-in-forged-identity',
    requires: ['cookie:session'],
    send: (ctx) => {
      for (const s of ['forged-s1', 'forged-s2', 'forged-s3', 'forged-s4']) ctx.secrets.add(s);
      return requestText({
        target: '/s/id',
        host: ctx.hosts.private,
        headers: [
          ['Cookie', `dg_session=${kept(ctx, 'cookie:session')}; app=2`],
          ['X-Forwarded-User', 'forged-s1'],
          ['X_Forwarded_User', 'forged-s2'],
          ['X-Demiurge_Assertion', 'forged-s3'],
          ['X-Forwarded-Preferred-Username', 'forged-s4'],
        ],
      });
    },
    checks: () => [
      status(200),
      appHeader('x-forwarded-user', ['u-alice']),
      appHeader('x-forwarded-preferred-username', ['alice']),
      {
        expect: 'one X-Demiurge-Assertion (a JWT)',
        problem: (o) => {
          const got = received(o.app[0], 'x-demiurge-assertion');
          return got.length === 1 && /^ey[\w-]+\.[\w-]+\.[\w-]+$/.test(got[0] as string)
            ? undefined
            : `app x-demiurge-assertion: [${got.join(', ')}]`;
        },
      },
      appHeader('cookie', ['app=2']),
      appNoValue('forged-s'),
    ],
  }),
  rawCase(GROUP, {
    id: 'login-post-other-user',
    send: (ctx) => loginPost(ctx, 'bob', loginOrigin(ctx)),
    checks: () => [status(303), cookieSet('dg_gw')],
    after: (o, ctx) => {
      const cookie = setCookie(o, 'dg_gw');
      if (cookie) ctx.state.set('cookie:bob', cookie);
      if (cookie) ctx.secrets.add(cookie);
    },
  }),
  rawCase(GROUP, {
    id: 'no-access-404-offers-sign-out',
    requires: ['cookie:bob'],
    send: (ctx) =>
      requestText({
        target: `/auth/authorize?host=${ctx.hosts.private}&flow=${FLOW}&state=${STATE}`,
        host: ctx.hosts.gateway,
        headers: [
          ['Cookie', `dg_gw=${kept(ctx, 'cookie:bob')}`],
          ['Accept', 'text/html'],
        ],
      }),
    checks: () => [
      status(404),
      answerBody('a sign-out form (/auth/logout)', (body) => body.includes('/auth/logout')),
      APP_NOTHING,
    ],
  }),
];
