/**
 * The proxy's metrics, kept as plain counters (no per-request allocation) and rendered in the
 * Prometheus text format on the admin listener.
 */
import type { RouteCacheStats } from '../routes/route-cache.ts';

/** Latency buckets in seconds. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'] as const;

export class ProxyMetrics {
  readonly #byClass = new Float64Array(5);
  readonly #bucketCounts = new Float64Array(BUCKETS.length + 1);
  #latencySum = 0;
  #latencyCount = 0;
  openWebSockets = 0;
  webSocketsTotal = 0;
  readonly #upstreamErrors = new Map<string, number>();

  constructor(private readonly cache: () => RouteCacheStats & { size: number }) {}

  /** One finished HTTP request: its status and its time in seconds. */
  request(status: number, seconds: number): void {
    const cls = Math.min(Math.max(Math.floor(status / 100) - 1, 0), 4);
    this.#byClass[cls] = (this.#byClass[cls] ?? 0) + 1;
    let i = 0;
    while (i < BUCKETS.length && seconds > (BUCKETS[i] as number)) i++;
    this.#bucketCounts[i] = (this.#bucketCounts[i] ?? 0) + 1;
    this.#latencySum += seconds;
    this.#latencyCount++;
  }

  upstreamError(upstream: string, code: string): void {
    const key = `${upstream}\u0000${code}`;
    this.#upstreamErrors.set(key, (this.#upstreamErrors.get(key) ?? 0) + 1);
  }

  render(): string {
    const out: string[] = [];
    out.push(
      '# HELP gateway_proxy_requests_total Proxied HTTP requests by status class.',
      '# TYPE gateway_proxy_requests_total counter',
    );
    for (const [i, c] of CLASSES.entries())
      out.push(`gateway_proxy_requests_total{class="${c}"} ${this.#byClass[i]}`);
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
      '# HELP gateway_upstream_errors_total Failed upstream exchanges by upstream and error code.',
      '# TYPE gateway_upstream_errors_total counter',
    );
    for (const [key, n] of this.#upstreamErrors) {
      const [upstream, code] = key.split('\u0000');
      out.push(`gateway_upstream_errors_total{upstream="${upstream}",code="${code}"} ${n}`);
    }
    return `${out.join('\n')}\n`;
  }
}
