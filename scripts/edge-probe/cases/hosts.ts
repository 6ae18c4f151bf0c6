/**
 * Host confusion: a request reaches the container its one Host names (case, port and a trailing dot do
 * not matter), and nothing else: several Hosts, an empty or malformed one, a look-alike under another
 * domain or organisation, an unknown container.
 */
import { APP_NOTHING, appGot, appHeader, REFUSED, status } from '../checks.ts';
import { type ProbeCase, type ProbeContext, rawCase } from '../probe-case.ts';

const GROUP = 'host';

/** `GET <path>` with exactly these Host lines (none: no Host at all). */
const withHosts = (path: string, hosts: string[]) =>
  `${[`GET ${path} HTTP/1.1`, ...hosts.map((h) => `Host: ${h}`), 'Connection: close'].join('\r\n')}\r\n\r\n`;

const refused = (id: string, hosts: (ctx: ProbeContext) => string[]): ProbeCase =>
  rawCase(GROUP, {
    id,
    send: (ctx) => withHosts(`/h/${id}`, hosts(ctx)),
    checks: () => [REFUSED, APP_NOTHING],
  });

const notFound = (id: string, host: (ctx: ProbeContext) => string): ProbeCase =>
  rawCase(GROUP, {
    id,
    send: (ctx) => withHosts(`/h/${id}`, [host(ctx)]),
    checks: () => [status(404), APP_NOTHING],
  });

/** Routed to the public service, the Host passed on exactly as sent. */
const routed = (id: string, host: (ctx: ProbeContext) => string): ProbeCase =>
  rawCase(GROUP, {
    id,
    send: (ctx) => withHosts(`/h/${id}`, [host(ctx)]),
    checks: (ctx) => [status(200), appGot(`GET /h/${id}`), appHeader('host', [host(ctx)])],
  });

export const hostCases: ProbeCase[] = [
  routed('service-host', (ctx) => ctx.hosts.web),
  routed('uppercase-and-port', (ctx) => `${ctx.hosts.alias.toUpperCase()}:${ctx.gateway.port}`),
  routed('trailing-dot', (ctx) => `${ctx.hosts.alias}.`),
  refused('two-hosts', (ctx) => [ctx.hosts.web, ctx.hosts.private]),
  refused('same-host-twice', (ctx) => [ctx.hosts.web, ctx.hosts.web]),
  refused('empty-host', () => ['']),
  refused('no-host', () => []),
  refused('userinfo-before', (ctx) => [`user@${ctx.hosts.web}`]),
  refused('userinfo-after', (ctx) => [`${ctx.hosts.web}@evil.example`]),
  refused('bad-port', (ctx) => [`${ctx.hosts.web}:80x`]),
  notFound('suffix-attack', (ctx) => `${ctx.hosts.alias}.evil.example`),
  notFound('other-org', () => 'uc-probe.org-other.localhost'),
  notFound('unknown-container', () => 'uc-nobody.org-edge.localhost'),
];
