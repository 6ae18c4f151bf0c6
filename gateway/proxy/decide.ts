/** Resolve -> decide: what the proxy does with a request for a hostname, before any socket work. */
import { ErrorCode } from '../../shared/errors.ts';
import { isContainerHost, normaliseHost } from '../../shared/hostnames.ts';
import type { LivenessClock } from '../routes/liveness.ts';
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

const PORT = /^\d{1,5}$/;

/** Seconds a client is asked to wait before retrying an offline container. */
const RETRY_AFTER_SECONDS = 5;

/** `liveness` stops while the store is down, so containers keep the liveness they had when it went away. */
export function createDecider(cache: RouteCache, domain: string, liveness: LivenessClock): Decider {
  const verdict = (route: ResolvedRoute | null, hostname: string): Decision => {
    if (route === null) return { error: { code: ErrorCode.NoRoute, hostname } };
    if (!liveness.online(route.lastWatchdog)) {
      return {
        error: {
          code: ErrorCode.ContainerOffline,
          hostname,
          service: route.service,
          retryAfterSeconds: RETRY_AFTER_SECONDS,
          ...(route.lastWatchdog === null ? {} : { lastSeen: route.lastWatchdog }),
        },
        route,
      };
    }
    return { forward: route, hostname };
  };
  return {
    decide(hostHeader) {
      // Hot path: a Host as browsers send it (lowercase, no trailing dot) hits the cache before any
      // validation; the cache only holds hostnames that passed it.
      if (hostHeader !== undefined) {
        const colon = hostHeader.lastIndexOf(':');
        const candidate = colon === -1 ? hostHeader : hostHeader.slice(0, colon);
        const hit = cache.peek(candidate);
        if (hit !== undefined && (colon === -1 || PORT.test(hostHeader.slice(colon + 1))))
          return verdict(hit, candidate);
      }
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
