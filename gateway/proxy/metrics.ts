/**
 * The proxy's metrics, kept as plain counters (no per-request allocation) and rendered in the
 * Prometheus text format on the admin listener.
 */
import type { RouteCacheStats } from '../routes/route-cache.ts';

/** Latency buckets in seconds. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

/** Who gave an answer: the gateway itself (error pages, sign-in, refusals) or the app behind it. */
export type Answerer = 'gateway' | 'app';

export class ProxyMetrics {
  /** Answers by status class, the gateway's first, then the app's. */
  readonly #byClass = new Float64Array(10);
  readonly #upstreamBuckets = new Float64Array(BUCKETS.length + 1);
  #upstreamSum = 0;
  #upstreamCount = 0;
  readonly #bucketCounts = new Float64Array(BUCKETS.length + 1);
  #latencySum = 0;
  #latencyCount = 0;
  openWebSockets = 0;
  webSocketsTotal = 0;
  readonly #upstreamErrors = new Map<string, number>();

  constructor(private readonly cache: () => RouteCacheStats & { size: number }) {}

  /** One finished HTTP request: its status, its time in seconds, and who answered it. */
  request(status: number, seconds: number, by: Answerer): void {
    const cls = Math.min(Math.max(Math.floor(status / 100) - 1, 0), 4) + (by === 'app' ? 5 : 0);
    this.#byClass[cls] = (this.#byClass[cls] ?? 0) + 1;
    let i = 0;
    while (i < BUCKETS.length && seconds > (BUCKETS[i] as number)) i++;
    this.#bucketCounts[i] = (this.#bucketCounts[i] ?? 0) + 1;
    this.#latencySum += seconds;
    this.#latencyCount++;
  }

  /** An upstream's answer head came, `seconds` after the request was sent to it. */
  upstreamAnswered(seconds: number): void {
    let i = 0;
    while (i < BUCKETS.length && seconds > (BUCKETS[i] as number)) i++;
    this.#upstreamBuckets[i] = (this.#upstreamBuckets[i] ?? 0) + 1;
    this.#upstreamSum += seconds;
    this.#upstreamCount++;
  }

  /** A failed upstream exchange, by error code (a bounded label: never the upstream's address). */
  upstreamError(code: string): void {
    this.#upstreamErrors.set(code, (this.#upstreamErrors.get(code) ?? 0) + 1);
  }

  render(): string {
    const out: string[] = [];
    out.push(
      '# HELP gateway_proxy_requests_total Requests on container hostnames by status class and who answered.',
      '# TYPE gateway_proxy_requests_total counter',
    );
    for (const [by, offset] of [
      ['gateway', 0],
      ['app', 5],
    ] as const)
      for (const [i, c] of CLASSES.entries())
        out.push(`gateway_proxy_requests_total{class="${c}",by="${by}"} ${this.#byClass[i + offset]}`);
    out.push(
      '# HELP gateway_proxy_request_duration_seconds Time from request to response end.',
      '# TYPE gateway_proxy_request_duration_seconds histogram',
    );
    let cumulative = 0;
    BUCKETS.forEach((b, i) => {
      cumulative += this.#bucketCounts[i] ?? 0;
      out.push(`gateway_proxy_request_duration_seconds_bucket{le="${b}"} ${cumulative}`);
    });
    out.push(`gateway_proxy_request_duration_seconds_bucket{le="+Inf"} ${this.#latencyCount}`);
    out.push(
      `gateway_proxy_request_duration_seconds_sum ${this.#latencySum}`,
      `gateway_proxy_request_duration_seconds_count ${this.#latencyCount}`,
    );
    out.push(
      '# HELP gateway_proxy_websockets_open Open proxied WebSockets.',
      '# TYPE gateway_proxy_websockets_open gauge',
      `gateway_proxy_websockets_open ${this.openWebSockets}`,
    );
    out.push(
      '# HELP gateway_proxy_websockets_total Proxied WebSockets opened.',
      '# TYPE gateway_proxy_websockets_total counter',
      `gateway_proxy_websockets_total ${this.webSocketsTotal}`,
    );
    const c = this.cache();
    out.push(
      '# HELP gateway_route_cache_hits_total Route lookups answered from memory.',
      '# TYPE gateway_route_cache_hits_total counter',
      `gateway_route_cache_hits_total ${c.hits}`,
    );
    out.push(
      '# HELP gateway_route_cache_misses_total Route lookups that asked the store.',
      '# TYPE gateway_route_cache_misses_total counter',
      `gateway_route_cache_misses_total ${c.misses}`,
    );
    out.push(
      '# HELP gateway_route_cache_entries Hostnames in the route cache.',
      '# TYPE gateway_route_cache_entries gauge',
      `gateway_route_cache_entries ${c.size}`,
    );
    out.push(
      '# HELP gateway_route_changes_total Route changes received from the change feed.',
      '# TYPE gateway_route_changes_total counter',
      `gateway_route_changes_total ${c.changes}`,
    );
    out.push(
      '# HELP gateway_route_cache_stale_total Route lookups answered from a route past its TTL because the store could not be asked (stale-if-error, ROUTE_STALE_MAX).',
      '# TYPE gateway_route_cache_stale_total counter',
      `gateway_route_cache_stale_total ${c.stale}`,
      '# HELP gateway_route_cache_reconciles_total Reconciles of the route cache with the store (after a reconnect or a gap in the change feed).',
      '# TYPE gateway_route_cache_reconciles_total counter',
      `gateway_route_cache_reconciles_total ${c.resyncs}`,
    );
    out.push(
      '# HELP gateway_upstream_errors_total Failed upstream exchanges by error code.',
      '# TYPE gateway_upstream_errors_total counter',
    );
    for (const [code, n] of this.#upstreamErrors)
      out.push(`gateway_upstream_errors_total{code="${code}"} ${n}`);
    out.push(
      '# HELP gateway_upstream_response_seconds Time from sending a request to an upstream to its answer head.',
      '# TYPE gateway_upstream_response_seconds histogram',
    );
    let upstreamCumulative = 0;
    BUCKETS.forEach((b, i) => {
      upstreamCumulative += this.#upstreamBuckets[i] ?? 0;
      out.push(`gateway_upstream_response_seconds_bucket{le="${b}"} ${upstreamCumulative}`);
    });
    out.push(
      `gateway_upstream_response_seconds_bucket{le="+Inf"} ${this.#upstreamCount}`,
      `gateway_upstream_response_seconds_sum ${this.#upstreamSum}`,
      `gateway_upstream_response_seconds_count ${this.#upstreamCount}`,
    );
    return `${out.join('\n')}\n`;
  }
}
