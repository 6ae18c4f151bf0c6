/** One place that turns thrown errors into `{error:{code,message}}` responses. */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import type { Logger } from '../log.ts';
import { STORE_RETRY_AFTER_SECONDS } from '../store/store.ts';

export function errorResponder(log: Logger) {
  return (err: Error, c: Context) => {
    if (err instanceof GatewayError) {
      if (err.code === ErrorCode.StoreUnavailable) {
        // Not logged per request: the store's health logs the outage once (store down / back).
        return c.json(err.toBody(), 503, { 'retry-after': String(STORE_RETRY_AFTER_SECONDS) });
      }
      if (err.status >= 500) log.warn('request failed', { code: err.code, path: c.req.path });
      return c.json(err.toBody(), err.status as 400);
    }
    if (err instanceof HTTPException) {
      // Hono's own refusals (e.g. the CSRF origin check): keep their status, in our error shape.
      const code = err.status === 403 ? ErrorCode.Forbidden : ErrorCode.BadRequest;
      return c.json(
        new GatewayError(code, err.message || 'request refused', err.status).toBody(),
        err.status,
      );
    }
    log.error('unhandled error', { path: c.req.path, error: err.name, message: err.message });
    return c.json(new GatewayError(ErrorCode.Internal, 'internal error').toBody(), 500);
  };
}

export const notFound = (c: Context) =>
  c.json(
    new GatewayError(ErrorCode.NotFound, `no endpoint ${c.req.method} ${c.req.path}`, 404).toBody(),
    404,
  );
