/**
 * The route sync's metrics: passes by result, the pool routes this gateway wants in its kernel after the
 * last good pass, and the kernel changes made. A `failed` that keeps rising is a store or kernel that
 * refuses (the one log line per failing spell says which, route-sync.ts).
 */
import { family, type MetricsPart, sample } from '../metrics/exposition.ts';
import type { RoutesOutcome } from './kernel-routes.ts';

const CHANGES = ['added', 'changed', 'removed', 'refused'] as const;

export class RouteSyncMetrics implements MetricsPart {
  readonly passes = { ok: 0, failed: 0 };
  readonly changes = { added: 0, changed: 0, removed: 0, refused: 0 };
  routes = 0;

  /** A pass that brought the kernel to `routes` desired routes. */
  applied(outcome: RoutesOutcome, routes: number): void {
    this.passes.ok++;
    this.routes = routes;
    for (const kind of CHANGES) this.changes[kind] += outcome[kind];
  }

  /** A pass that could not read the store or change the kernel (retried). */
  failed(): void {
    this.passes.failed++;
  }

  render(): string {
    return (
      family(
        'gateway_pool_route_sync_passes_total',
        'counter',
        "Passes of the pool's route sync (recompute and apply), by result.",
        [
          sample('gateway_pool_route_sync_passes_total', { result: 'ok' }, this.passes.ok),
          sample('gateway_pool_route_sync_passes_total', { result: 'failed' }, this.passes.failed),
        ],
      ) +
      family(
        'gateway_pool_routes',
        'gauge',
        'Host routes to containers held by peers that this gateway wants in its kernel (after the last good pass).',
        [sample('gateway_pool_routes', {}, this.routes)],
      ) +
      family(
        'gateway_pool_route_changes_total',
        'counter',
        'Kernel host routes added, changed and removed by the route sync, and desired ones the kernel refused.',
        CHANGES.map((kind) => sample('gateway_pool_route_changes_total', { kind }, this.changes[kind])),
      )
    );
  }
}
