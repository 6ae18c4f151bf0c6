/**
 * The control app's request ids, by the proxy's rule: a trusted peer's (TRUSTED_PROXIES) well-formed
 * `X-Request-Id` is kept, anyone else's replaced by a new one. Handlers and log lines read it as
 * `c.get('requestId')`; the answer carries it in `X-Request-Id`.
 */
import type { MiddlewareHandler } from 'hono';
import { isWellFormedRequestId, type RequestIds } from '../proxy/request-ids.ts';
import type { ControlEnv } from './env.ts';

export function requestIdMiddleware(
  trustedProxies: ReadonlySet<string>,
  ids: RequestIds,
): MiddlewareHandler<ControlEnv> {
  return async (c, next) => {
    const sent = trustedProxies.has(c.env.remoteAddress) ? c.req.header('x-request-id') : undefined;
    const id = sent !== undefined && isWellFormedRequestId(sent) ? sent : ids.requestId();
    c.set('requestId', id);
    c.header('x-request-id', id);
    await next();
  };
}
