/**
 * Who may use the dashboard, and which posts it takes. With ADMIN_TOKEN a browser signs in once with the
 * token (a form), and gets `dg_admin`: an HttpOnly, SameSite=Strict cookie holding an expiry signed with a
 * key derived from the token (never the token itself). Without ADMIN_TOKEN the admin listener is on
 * loopback: the dashboard answers only requests whose Host is a loopback name, so a page on another
 * site that rebinds its own DNS name to 127.0.0.1 gets nothing. Every POST must carry the page's CSRF
 * token (an HMAC of the session with a per-process key) and, when the browser sends them, an Origin equal
 * to the request's own and `Sec-Fetch-Site: same-origin`.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { fromOwnOrigin, LOOPBACK_HOST } from '../admin-local.ts';

export const SESSION_COOKIE = 'dg_admin';
const SESSION_MS = 12 * 60 * 60 * 1000;

const mac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest('base64url');
const sameText = (a: string, b: string) => {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
};

export type Access = 'ok' | 'sign-in' | 'wrong-host';

export interface DashboardSession {
  /** Whether signing in is needed at all (ADMIN_TOKEN set). */
  readonly signInRequired: boolean;
  /** Whether the request may see the dashboard, must sign in, or came for another Host. */
  access(c: Context): Access;
  /** Checks a presented token; on success, the Set-Cookie value of a new session. */
  signIn(presented: string, now?: number): string | null;
  /** Set-Cookie value that ends the session. */
  signOutCookie(): string;
  /** The CSRF token that this request's page embeds in its forms. */
  csrfToken(c: Context): string;
  /** Whether a POST carries the CSRF token and comes from the dashboard's own origin. */
  postAllowed(c: Context, presentedCsrf: string | undefined): boolean;
}

export function dashboardSession(
  adminToken: string | undefined,
  now: () => number = Date.now,
): DashboardSession {
  const processKey = randomBytes(32);
  const sessionKey = adminToken
    ? createHash('sha256').update(`dg-dashboard\0${adminToken}`).digest()
    : undefined;
  const cookieOf = (c: Context) => getCookie(c, SESSION_COOKIE) ?? '';
  const validSession = (value: string) => {
    if (!sessionKey) return false;
    const [exp, sig] = value.split('.');
    if (!exp || !sig || !/^\d{1,15}$/.test(exp) || Number(exp) <= now()) return false;
    return sameText(sig, mac(sessionKey, `session:${exp}`));
  };
  const sameOrigin = (c: Context) =>
    fromOwnOrigin(c.req.header('origin'), c.req.header('sec-fetch-site'), c.req.header('host') ?? '');
  return {
    signInRequired: sessionKey !== undefined,
    access(c) {
      if (!sessionKey) return LOOPBACK_HOST.test(c.req.header('host') ?? '') ? 'ok' : 'wrong-host';
      return validSession(cookieOf(c)) ? 'ok' : 'sign-in';
    },
    signIn(presented, at = now()) {
      if (!sessionKey || !adminToken || !sameText(presented, adminToken)) return null;
      const exp = at + SESSION_MS;
      const value = `${exp}.${mac(sessionKey, `session:${exp}`)}`;
      return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${SESSION_MS / 1000}`;
    },
    signOutCookie: () => `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`,
    csrfToken: (c) => mac(processKey, `csrf:${sessionKey ? cookieOf(c) : 'open'}`),
    postAllowed(c, presented) {
      if (!sameOrigin(c)) return false;
      return (
        presented !== undefined &&
        sameText(presented, mac(processKey, `csrf:${sessionKey ? cookieOf(c) : 'open'}`))
      );
    },
  };
}
