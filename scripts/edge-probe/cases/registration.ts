/**
 * Registration and revocation (issue 14, findings 6, 7, 10): no service on the gateway's own listeners,
 * names that make a hostname, and a revocation that sticks: the revoked token's events are refused, its
 * hostname answers 404, and revoking an id the gateway never saw is refused with 404.
 */
import { APP_NOTHING, appGot, errorCode, status } from '../checks.ts';
import { type ProbeCase, type ProbeContext, rawCase } from '../probe-case.ts';
import { mapEvent, requestText, watchdogEvent } from '../requests.ts';

const GROUP = 'registration';

/** `POST /collab/event` from loopback with `container`'s token ('' for none). */
const event = (container: string, body: (ctx: ProbeContext) => string) => (ctx: ProbeContext) => {
  const token = ctx.tokens.get(container);
  return requestText({
    method: 'POST',
    target: '/collab/event',
    host: ctx.hosts.gateway,
    headers: [
      ...(token ? ([['Authorization', `Bearer ${token}`]] as [string, string][]) : []),
      ['Content-Type', 'application/json'],
    ],
    body: body(ctx),
  });
};

const revoke = (id: string) => (ctx: ProbeContext) =>
  requestText({
    method: 'POST',
    target: `/admin/containers/${id}/revoke`,
    host: `127.0.0.1:${ctx.gateway.adminPort}`,
    body: '',
  });

export const registrationCases: ProbeCase[] = [
  rawCase(GROUP, {
    id: 'event-without-token',
    send: event('nobody', (ctx) => mapEvent('web', ctx.app.port)),
    checks: () => [status(401)],
  }),
  rawCase(GROUP, {
    id: 'map-admin-port',
    send: event('own', (ctx) => mapEvent('admin', ctx.gateway.adminPort, 'public')),
    checks: () => [status(403), errorCode('GW_ERR_OWN_LISTENER')],
  }),
  rawCase(GROUP, {
    id: 'map-public-port',
    send: event('own', (ctx) => mapEvent('loop', ctx.gateway.port, 'public')),
    checks: () => [status(403), errorCode('GW_ERR_OWN_LISTENER')],
  }),
  rawCase(GROUP, {
    id: 'own-port-route-absent',
    send: () => requestText({ target: '/admin/containers', host: 'uc-own--admin.org-edge.localhost' }),
    checks: () => [status(404), APP_NOTHING],
  }),
  rawCase(GROUP, {
    id: 'map-name-web-dash',
    send: event('own', (ctx) => mapEvent('web-', ctx.app.port, 'public')),
    checks: () => [status(400), errorCode('GW_ERR_BAD_EVENT')],
  }),
  rawCase(GROUP, {
    id: 'admin-api-not-public',
    send: (ctx) => requestText({ target: '/admin/containers', host: ctx.hosts.gateway }),
    checks: () => [status(404)],
  }),
  rawCase(GROUP, {
    id: 'r1-before-revoke',
    send: (ctx) => requestText({ target: '/r/before', host: ctx.hosts.revoked }),
    checks: () => [status(200), appGot('GET /r/before')],
  }),
  rawCase(GROUP, {
    id: 'revoke-r1',
    listener: 'admin',
    send: revoke('r1'),
    checks: () => [status(200)],
    after: (_o, ctx) => void ctx.state.set('revoked:r1', 'yes'),
  }),
  rawCase(GROUP, {
    id: 'revoked-map-refused',
    send: event('r1', (ctx) => mapEvent('web', ctx.app.port, 'public')),
    checks: () => [status(403), errorCode('GW_ERR_CONTAINER_REVOKED')],
  }),
  rawCase(GROUP, {
    id: 'revoked-watchdog-refused',
    send: event('r1', () => watchdogEvent()),
    checks: () => [status(403), errorCode('GW_ERR_CONTAINER_REVOKED')],
  }),
  rawCase(GROUP, {
    id: 'revoked-host-404',
    send: (ctx) => requestText({ target: '/r/after', host: ctx.hosts.revoked }),
    checks: () => [status(404), APP_NOTHING],
  }),
  rawCase(GROUP, {
    id: 'revoke-unknown-id',
    listener: 'admin',
    send: revoke('never-registered'),
    checks: () => [status(404), errorCode('GW_ERR_UNKNOWN_CONTAINER')],
  }),
];
