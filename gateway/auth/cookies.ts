/** The gateway's cookies: names, reading one out of a Cookie header, and keeping them from containers. */

/** Service-host session (host-only). */
export const SESSION_COOKIE = 'dg_session';
/** Gateway-host session (host-only, on GATEWAY_FQDN). */
export const GATEWAY_COOKIE = 'dg_gw';
/** Per sign-in flow, on the service host: `dg_flow_<flow id>=<state>.<path>`. */
export const FLOW_COOKIE_PREFIX = 'dg_flow_';
/** Every gateway cookie starts with this: containers may neither see nor set one. */
export const GATEWAY_COOKIE_PREFIX = 'dg_';
const OURS = GATEWAY_COOKIE_PREFIX;

/** The value of cookie `name` in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let at = header.indexOf(`${name}=`);
  while (at !== -1) {
    if (at === 0 || header[at - 1] === ' ' || header[at - 1] === ';') {
      const start = at + name.length + 1;
      const end = header.indexOf(';', start);
      return header.slice(start, end === -1 ? undefined : end).trim();
    }
    at = header.indexOf(`${name}=`, at + 1);
  }
  return undefined;
}

/** The Cookie header without the gateway's own cookies ('' when nothing is left). */
export function withoutGatewayCookies(header: string): string {
  if (!header.includes(OURS)) return header;
  // The usual case on a protected service: the session cookie alone.
  if (header.startsWith(OURS) && !header.includes(';')) return '';
  return header
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c !== '' && !c.startsWith(OURS))
    .join('; ');
}

export interface CookieOptions {
  maxAgeSeconds?: number;
  path?: string;
  secure: boolean;
}

/** A host-only (no Domain), HttpOnly, SameSite=Lax cookie; Secure behind TLS. */
export function setCookie(
  name: string,
  value: string,
  { maxAgeSeconds, path = '/', secure }: CookieOptions,
): string {
  let cookie = `${name}=${value}; Path=${path}; HttpOnly; SameSite=Lax`;
  if (maxAgeSeconds !== undefined) cookie += `; Max-Age=${maxAgeSeconds}`;
  if (secure) cookie += '; Secure';
  return cookie;
}

export const clearCookie = (name: string, path: string, secure: boolean) =>
  setCookie(name, '', { maxAgeSeconds: 0, path, secure });
