/** Builds the runtime-neutral proxy parts: route cache, decision + access gate, metrics, activity, WebSockets. */
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { LivenessClock } from '../routes/liveness.ts';
import { RouteCache } from '../routes/route-cache.ts';
import type { SecurityLog } from '../security-log.ts';
import type { Store } from '../store/store.ts';
import type { StoreHealth } from '../store/store-health.ts';
import type { AccessGate } from './access-gate.ts';
import { type AccessLog, createAccessLog } from './access-log.ts';
import { ActivityTracker } from './activity.ts';
import { createDecider } from './decide.ts';
import { createGatedResolver } from './gated.ts';
import { ProxyMetrics } from './metrics.ts';
import { RequestIds } from './request-ids.ts';
import { createUpstreamFailures, type UpstreamFailures } from './upstream-failures.ts';
import { WebSocketRegistry } from './websockets.ts';

/** What every runtime adapter's forwarding uses. */
export interface ProxyParts {
  /** Route decision + access gate + reserved paths. */
  resolver: ReturnType<typeof createGatedResolver>;
  metrics: ProxyMetrics;
  activity: ActivityTracker;
  websockets: WebSocketRegistry;
  /** Security events: reserved headers dropped, refused upgrades. */
  security: SecurityLog;
  /** ACCESS_LOG: one line per proxied exchange (empty functions when off). */
  accessLog: AccessLog;
  /** Request ids and trace context for requests that bring none to keep (the control app's too). */
  ids: RequestIds;
  /** `upstream failed` lines, whatever ACCESS_LOG says (limited per code). */
  upstreamFailures: UpstreamFailures;
}

export async function buildProxy(
  config: Config,
  store: Store,
  gate: AccessGate,
  log: Logger,
  security: SecurityLog,
  health: StoreHealth,
): Promise<ProxyParts & { stop(): Promise<void> }> {
  const cache = new RouteCache(store, {
    ttlMs: config.ROUTE_CACHE_TTL,
    negativeTtlMs: config.ROUTE_CACHE_NEGATIVE_TTL,
    maxEntries: config.ROUTE_CACHE_MAX,
    staleMaxMs: config.ROUTE_STALE_MAX,
    storeDown: () => health.down,
    log,
  });
  await cache.start();
  const upstreamFailures = createUpstreamFailures(log);
  const activity = new ActivityTracker(store, log);
  activity.start(config.ACTIVITY_FLUSH_INTERVAL);
  const liveness = new LivenessClock(config.LIVENESS_TIMEOUT);
  liveness.follow(health);
  const decider = createDecider(cache, config.DOMAIN, liveness);
  return {
    resolver: createGatedResolver(decider, gate),
    metrics: new ProxyMetrics(() => ({ ...cache.stats, size: cache.size })),
    activity,
    websockets: new WebSocketRegistry(cache),
    security,
    accessLog: createAccessLog(config.ACCESS_LOG, log),
    ids: new RequestIds(),
    upstreamFailures,
    async stop() {
      upstreamFailures.stop();
      await activity.stop();
      await cache.stop();
    },
  };
}
