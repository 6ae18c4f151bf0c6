/**
 * Route retention: an offline container keeps its routes (the proxy shows an "offline" page) until it
 * has been silent for ROUTE_RETENTION; then it is removed like an unmapped one. Every gateway may sweep:
 * removal is idempotent.
 */
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';

/** Removes containers silent for longer than `retentionMs` (never beaten: counted from registration). */
export async function sweepSilentContainers(
  store: Store,
  retentionMs: number,
  now: number,
): Promise<string[]> {
  const removed: string[] = [];
  for (const container of await store.listContainers()) {
    const { lastWatchdog } = await store.health(container.containerId);
    const silentSince = lastWatchdog ?? container.createdAt;
    if (now - silentSince > retentionMs && (await store.removeContainer(container.containerId)))
      removed.push(container.containerId);
  }
  return removed;
}

/**
 * Sweeps every `intervalMs`; returns a stop function. `onRemoved` is told the removed ids (the OpenID
 * Connect provider deletes their clients).
 */
export function startRetention(
  store: Store,
  retentionMs: number,
  log: Logger,
  intervalMs = 600_000,
  onRemoved?: (containerIds: string[]) => Promise<unknown>,
): () => void {
  let failing = false;
  const timer = setInterval(() => {
    sweepSilentContainers(store, retentionMs, Date.now()).then(
      (removed) => {
        failing = false;
        if (removed.length > 0) log.info('removed silent containers', { count: removed.length, retentionMs });
        if (removed.length > 0 && onRemoved)
          onRemoved(removed).catch(() => log.warn("could not delete the removed containers' OIDC clients"));
      },
      () => {
        // One line per outage: the store's health says when it is back.
        if (!failing) log.warn('retention sweep failed; will retry');
        failing = true;
      },
    );
  }, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}
