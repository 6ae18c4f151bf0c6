/**
 * The admin API without ADMIN_TOKEN. Its listener is on loopback then (config refuses anything else), but
 * a browser on the same machine can still be made to call it: a page on another site that rebinds its own
 * DNS name to 127.0.0.1 (its Host is that name), or a form or fetch posted to http://127.0.0.1:9090 (the
 * browser says where it came from: `Origin`, `Sec-Fetch-Site`). Both are refused with 403
 * GW_ERR_FORBIDDEN; gatewayctl, curl and scripts send a loopback Host and neither header.
 */
import type { MiddlewareHandler } from 'hono';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';

export const LOOPBACK_HOST = /^(localhost|[a-z0-9-]+\.localhost|127(\.\d{1,3}){3}|\[::1\])(:\d{1,5})?$/i;

/** Whether a request that may carry an `Origin` came from a page of the host it names (or no page). */
export function fromOwnOrigin(origin: string | undefined, site: string | undefined, host: string): boolean {
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false; // "null" (a sandboxed page, a redirect across sites) or garbage
  }
}

export function localOnlyGuard(): MiddlewareHandler {
  return async (c, next) => {
    // The Host header as sent; a request built in-process has only its URL.
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    if (!LOOPBACK_HOST.test(host))
      throw new GatewayError(
        ErrorCode.Forbidden,
        'without ADMIN_TOKEN the admin API answers loopback host names only (localhost, 127.0.0.1, [::1])',
        403,
      );
    if (!fromOwnOrigin(c.req.header('origin'), c.req.header('sec-fetch-site'), host))
      throw new GatewayError(ErrorCode.Forbidden, 'the admin API does not answer pages of other sites', 403);
    await next();
  };
}
