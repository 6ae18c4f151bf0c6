/**
 * Failed exchanges with apps as operator log lines, whatever ACCESS_LOG says: one `upstream failed` warn
 * line per failure (refused, timed out, broken off, cut in the middle of its answer), with the request's
 * id and a stable code, limited per code like the refusal lines, so an app that is down under load
 * cannot fill a disk. Never a header value or a query string.
 */
import { createLineLimiter, type LineLimiterOptions } from '../line-limiter.ts';
import type { Logger } from '../log.ts';
import type { ResolvedRoute } from '../store/store.ts';
import type { ScannedRequest } from './headers.ts';

export interface UpstreamFailures {
  /** An exchange with `route`'s app failed with `code`; `cut`: after its answer had begun. */
  failed(scanned: ScannedRequest, route: ResolvedRoute, code: string, cut: boolean): void;
  stop(): void;
}

export function createUpstreamFailures(log: Logger, options: LineLimiterOptions = {}): UpstreamFailures {
  const limiter = createLineLimiter(
    (code, suppressed, windowMs) => log.warn('upstream failures suppressed', { code, suppressed, windowMs }),
    options,
  );
  return {
    failed(scanned, route, code, cut) {
      if (!limiter.admit(code)) return;
      log.warn('upstream failed', {
        code,
        requestId: scanned.requestId,
        host: route.hostname,
        container: route.containerId,
        service: route.service,
        upstream: `${route.upstream}:${route.port}`,
        ...(cut && { cut: 'upstream' }),
      });
    },
    stop: () => limiter.stop(),
  };
}
