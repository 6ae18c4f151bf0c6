/**
 * Sign-in guards (issue 14, findings 8 and 9): `next` never leads to another host, whatever its
 * spelling; the authorize endpoint serves container hostnames only; the login post is refused from any
 * origin but the gateway's and LOGIN_URL's (a container's page included: it is same-site).
 */
import { status } from '../checks.ts';
import { type Check, type ProbeCase, type ProbeContext, rawCase } from '../probe-case.ts';
import { requestText } from '../requests.ts';
import { FLOW, GROUP, gatewayOrigin, location, loginPost, noCookie, STATE } from './browser.ts';

const EVIL = 'evil.example';

/** Every URL in a Location, and in its query values two levels down, as the browser would resolve it. */
function hostsIn(value: string, base: string, depth = 2): string[] {
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    return [];
  }
  const hosts = [url.hostname];
  if (depth > 0) for (const [, v] of url.searchParams) hosts.push(...hostsIn(v, url.href, depth - 1));
  return hosts;
}

const neverEvil = (ctx: ProbeContext): Check => ({
  expect: `no URL with host ${EVIL}`,
  problem: (o) => {
    const loc = location(o);
    if (loc === undefined) return undefined;
    return hostsIn(loc, gatewayOrigin(ctx)).some((h) => h === EVIL || h.endsWith(`.${EVIL}`))
      ? `Location leads to ${EVIL}: ${loc}`
      : undefined;
  },
  note: (o) => `Location: ${location(o) ?? 'none'}`,
});

const loginNext = (id: string, next: string): ProbeCase =>
  rawCase(GROUP, {
    id,
    send: (ctx) => requestText({ target: `/auth/login?next=${next}`, host: ctx.hosts.gateway }),
    checks: (ctx) => [status(302), neverEvil(ctx)],
  });

export const signInGuardCases: ProbeCase[] = [
  loginNext('next-userinfo', '@evil.example/'),
  loginNext('next-double-slash', '//evil.example'),
  loginNext('next-absolute', 'https://evil.example/'),
  loginNext('next-backslash', '/%5Cevil.example'),
  rawCase(GROUP, {
    id: 'authorize-foreign-host',
    send: (ctx) =>
      requestText({
        target: `/auth/authorize?host=${EVIL}&flow=${FLOW}&state=${STATE}`,
        host: ctx.hosts.gateway,
      }),
    checks: (ctx) => [status(400), neverEvil(ctx)],
  }),
  rawCase(GROUP, {
    id: 'login-post-evil-origin',
    send: (ctx) => loginPost(ctx, 'alice', `http://${EVIL}`),
    checks: () => [status(403), noCookie('dg_gw')],
  }),
  rawCase(GROUP, {
    id: 'login-post-container-origin',
    send: (ctx) => loginPost(ctx, 'alice', `http://${ctx.hosts.web}:${ctx.gateway.port}`),
    checks: () => [status(403), noCookie('dg_gw')],
  }),
];
