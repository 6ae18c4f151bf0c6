/**
 * Header hygiene toward the app and back (issue 14, findings 2, 4, 5): identity headers in any spelling
 * never reach it, a Connection listing never strips what the gateway sets, forwarding facts from an
 * untrusted peer are replaced or dropped, `dg_*` cookies go neither way, hop-by-hop answer headers stop.
 */
import { answerHeader, appHeader, appNoValue, status } from '../checks.ts';
import { type Check, type ProbeCase, type ProbeContext, rawCase } from '../probe-case.ts';
import { requestText } from '../requests.ts';

const GROUP = 'hygiene';

/** Identity headers as the review spelled them (WSGI, CGI and PHP read `_` as `-`). */
export const IDENTITY_SPELLINGS = [
  'X_Forwarded_User',
  'X-Forwarded_User',
  'Remote_User',
  'X-Demiurge_Assertion',
  'X-Forwarded-Preferred_Username',
  'X-Auth-Request-User',
  'X-Remote-User',
  'X-WEBAUTH-USER',
  'Remote-User',
];

const forged = (id: string) => `forged-${id}`;
const FORGED = /forged-[\w.-]+/g;

/** `GET /y/<id>` to the public service with `headers`; the forged values are remembered for the log check. */
const sent = (id: string, headers: (ctx: ProbeContext) => [string, string][]) => (ctx: ProbeContext) => {
  const list = headers(ctx);
  for (const [, value] of list) for (const [secret] of value.matchAll(FORGED)) ctx.secrets.add(secret);
  return requestText({ target: `/y/${id}`, host: ctx.hosts.web, headers: list });
};

/** A header a client may not set: it must not reach the app, in any spelling or under any name. */
const dropped = (id: string, name: string): ProbeCase =>
  rawCase(GROUP, {
    id,
    send: sent(id, () => [[name, forged(id)]]),
    checks: () => [status(200), appHeader(name, []), appNoValue('forged-')],
  });

/** A forwarding header the gateway sets itself: the client's value is replaced by `value(ctx)`. */
const replaced = (id: string, name: string, value: (ctx: ProbeContext) => string): ProbeCase =>
  rawCase(GROUP, {
    id,
    send: sent(id, () => [[name, forged(id)]]),
    checks: (ctx) => [status(200), appHeader(name, [value(ctx)])],
  });

const setCookieCheck: Check = answerHeader(
  'set-cookie',
  'answer Set-Cookie: app=1 only',
  (values) => values.length === 1 && values[0]?.startsWith('app=1') === true,
);

export const hygieneCases: ProbeCase[] = [
  ...IDENTITY_SPELLINGS.map((name) => dropped(`identity-${name}`, name)),
  dropped('underscore-name', 'X_Custom'),
  rawCase(GROUP, {
    id: 'connection-close-host',
    send: sent('connection-close-host', () => [['Connection', 'close, Host']]),
    checks: (ctx) => [status(200), appHeader('host', [ctx.hosts.web])],
  }),
  rawCase(GROUP, {
    id: 'connection-lists-forwarded',
    send: sent('connection-lists-forwarded', () => [
      ['Connection', 'close, X-Forwarded-For, X-Forwarded-Host'],
    ]),
    checks: (ctx) => [
      status(200),
      appHeader('x-forwarded-for', ['127.0.0.1']),
      appHeader('x-forwarded-host', [ctx.hosts.web]),
    ],
  }),
  replaced('x-forwarded-for', 'X-Forwarded-For', () => '127.0.0.1'),
  replaced('x-forwarded-proto', 'X-Forwarded-Proto', () => 'http'),
  replaced('x-forwarded-host', 'X-Forwarded-Host', (ctx) => ctx.hosts.web),
  dropped('x-forwarded-port', 'X-Forwarded-Port'),
  dropped('x-forwarded-prefix', 'X-Forwarded-Prefix'),
  dropped('x-forwarded-server', 'X-Forwarded-Server'),
  dropped('x-original-url', 'X-Original-URL'),
  dropped('x-rewrite-url', 'X-Rewrite-URL'),
  dropped('forwarded', 'Forwarded'),
  rawCase(GROUP, {
    id: 'dg-cookies-to-app',
    send: sent('dg-cookies-to-app', () => [
      ['Cookie', 'dg_session=forged-c1; app=1; dg_gw=forged-c2'],
      ['Cookie', 'dg_flow_abcdefgh=forged-c3'],
    ]),
    checks: () => [status(200), appHeader('cookie', ['app=1']), appNoValue('forged-c')],
  }),
  rawCase(GROUP, {
    id: 'dg-set-cookie-from-app',
    send: (ctx) => requestText({ target: '/set-cookies', host: ctx.hosts.web }),
    checks: () => [status(200), setCookieCheck],
  }),
  rawCase(GROUP, {
    id: 'hop-by-hop-answer',
    send: (ctx) => requestText({ target: '/hop', host: ctx.hosts.web }),
    checks: () => [
      status(200),
      answerHeader('x-internal', 'answer: no X-Internal', (v) => v.length === 0),
      answerHeader('keep-alive', 'no Keep-Alive', (v) => v.length === 0),
      answerHeader('x-kept', 'X-Kept: yes', (v) => v.join() === 'yes'),
    ],
  }),
];
