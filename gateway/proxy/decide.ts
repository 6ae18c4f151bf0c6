/** Resolve -> decide: what the proxy does with a request for a hostname, before any socket work. */
import { ErrorCode } from '../../shared/errors.ts';
import { isContainerHost, normaliseHost } from '../../shared/hostnames.ts';
import { isOnline } from '../routes/liveness.ts';
import type { RouteCache } from '../routes/route-cache.ts';
import type { ResolvedRoute } from '../store/store.ts';
import type { ProxyErrorInfo } from './pages.ts';

/**
 * `forward`: the route and its container is online. `error`: answer with it; `route` is set when the
 * route exists but its container is offline (access is checked before anyone learns that).
 */
export type Decision =
  | { forward: ResolvedRoute; hostname: string }
  | { error: ProxyErrorInfo; route?: ResolvedRoute };

export interface Decider {
  /** Synchronous on a cache hit (the hot path); a Promise only when the store must be asked. */
  decide(hostHeader: string | undefined): Decision | Promise<Decision>;
}

/** Seconds a client is asked to wait before retrying an offline container. */
const RETRY_AFTER_SECONDS = 5;

export function createDecider(
  cache: RouteCache,
  domain: string,
  livenessTimeoutMs: number,
  now: () => number = Date.now,
): Decider {
  const verdict = (route: ResolvedRoute | null, hostname: string): Decision => {
    if (route === null) return { error: { code: ErrorCode.NoRoute, hostname } };
    if (!isOnline(route.lastWatchdog, now(), livenessTimeoutMs)) {
      return {
        error: {
          code: ErrorCode.ContainerOffline,
          hostname,
          service: route.service,
          retryAfterSeconds: RETRY_AFTER_SECONDS,
        },
        route,
      };
    }
    return { forward: route, hostname };
  };
  return {
    decide(hostHeader) {
      const hostname = normaliseHost(hostHeader);
      if (hostname === undefined) return { error: { code: ErrorCode.BadRequest } };
      if (!isContainerHost(hostname, domain)) return { error: { code: ErrorCode.NoRoute, hostname } };
      const hit = cache.peek(hostname);
      if (hit !== undefined) return verdict(hit, hostname);
      return cache.load(hostname).then(
        (route) => verdict(route, hostname),
        (): Decision => ({ error: { code: ErrorCode.StoreUnavailable, hostname } }),
      );
    },
  };
}
