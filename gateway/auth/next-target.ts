/**
 * Where the browser may go after signing in or out on the gateway host: this gateway's authorize
 * endpoint, or an OpenID Connect provider interaction (`/oidc/interaction/<uid>`), nothing else. One
 * decision for every `next` (login GET and POST, development login, logout), made on the parsed URL, as
 * the browser will read it: a string prefix check lets `@evil.example/` (glued after the origin, a
 * userinfo) or `/\evil.example` (a backslash is a slash to a browser) through.
 */

/** The sign-in authorize path, one of the two a `next` may name. */
export const AUTHORIZE_PATH = '/auth/authorize';
/** The OIDC provider's interaction pages (`gateway/oidc/`): a uid (group 1), nothing after it. */
export const INTERACTION_PATH = /^\/oidc\/interaction\/([A-Za-z0-9_-]{1,64})$/;
/** Far above any real authorize URL (host, flow and state are bounded): longer is refused unread. */
const MAX_NEXT_LENGTH = 2048;

/** Returns the check for `next` values: the normalised `/auth/authorize?…` or interaction path, or undefined (drop it). */
export function createNextCheck(gatewayOrigin: string): (next: unknown) => string | undefined {
  const origin = new URL(gatewayOrigin).origin;
  return (next) => {
    if (typeof next !== 'string' || next === '' || next.length > MAX_NEXT_LENGTH) return undefined;
    let url: URL;
    try {
      url = new URL(next, origin);
    } catch {
      return undefined;
    }
    if (url.origin !== origin || url.username !== '' || url.password !== '') return undefined;
    const interaction = INTERACTION_PATH.test(url.pathname);
    if (url.pathname !== AUTHORIZE_PATH && !interaction) return undefined;
    if (interaction && url.search !== '') return undefined;
    // Rebuilt from the parsed parts: what the browser is sent to is exactly what was checked.
    return `${url.pathname}${url.search}`;
  };
}
