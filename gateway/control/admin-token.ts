/**
 * `ADMIN_TOKEN`: the admin API's bearer token, for an admin listener that other hosts can reach. The
 * comparison is constant-time (digests of equal length), and neither token ever reaches a log line.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';

const digest = (text: string) => createHash('sha256').update(text).digest();
const BEARER = /^bearer +(\S+) *$/i;

/** Refuses (401, `GW_ERR_UNAUTHORIZED`) a request whose `Authorization` is not `Bearer <token>`. */
export function adminTokenGuard(token: string): MiddlewareHandler {
  const expected = digest(token);
  return async (c, next) => {
    const presented = BEARER.exec(c.req.header('authorization') ?? '')?.[1];
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
      c.header('www-authenticate', 'Bearer realm="gateway admin"');
      throw new GatewayError(
        ErrorCode.Unauthorized,
        presented === undefined
          ? 'the admin API needs Authorization: Bearer <ADMIN_TOKEN>'
          : 'the admin token is not the one this gateway was given',
        401,
      );
    }
    await next();
  };
}
