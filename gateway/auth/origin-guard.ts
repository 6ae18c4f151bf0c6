/**
 * Which browsers' posts the gateway-host sign-in endpoints take (CSRF). The gateway's own pages may post
 * to all of them; the platform's login page (LOGIN_URL, another origin) only to `POST /auth/login`, the
 * one place it hands over a user token. Every other origin is refused: containers' pages included,
 * which are same-site with the gateway host, so SameSite=Lax cookies are no defence here.
 *
 * Unlike hono's `csrf` middleware this looks at every unsafe method whatever its content type (hono
 * checks form and text types only, leaving the rest to CORS preflights): a refusal costs nothing here,
 * and the guard does not depend on the gateway never answering a preflight. A request without a usable
 * Origin (missing, or `null`) is admitted only with `Sec-Fetch-Site: same-origin`; browsers set both
 * headers and pages cannot forge them.
 */

/** The one path a page on the LOGIN_URL origin may post to. */
export const LOGIN_PATH = '/auth/login';
const SAFE_METHOD = /^(GET|HEAD|OPTIONS)$/;

export interface PostedRequest {
  method: string;
  path: string;
  origin: string | undefined;
  secFetchSite: string | undefined;
}

/** Returns whether a request may act: safe methods always, others only from an admitted origin. */
export function createOriginGuard(gatewayOrigin: string, loginUrl?: string): (r: PostedRequest) => boolean {
  const own = new URL(gatewayOrigin).origin;
  const login = loginUrl === undefined ? undefined : new URL(loginUrl).origin;
  return (r) => {
    if (SAFE_METHOD.test(r.method)) return true;
    if (r.origin === own) return true;
    if (r.origin === undefined || r.origin === 'null') return r.secFetchSite === 'same-origin';
    return login !== undefined && r.path === LOGIN_PATH && r.origin === login;
  };
}
