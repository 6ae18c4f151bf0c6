/** The operator's view of the store (containers, routes, health), shared by the admin API and gatewayctl. */
import type { SystemStats } from '../../shared/protocol.ts';
import { isOnline } from '../routes/liveness.ts';
import type { ContainerRecord, Route, Store } from '../store/store.ts';

export interface HealthRow {
  containerId: string;
  orgId: string;
  projectId: string;
  online: boolean;
  lastWatchdog: number | null;
  /** Age of the last watchdog in ms, or null when none arrived. */
  ageMs: number | null;
  lastActivity: number | null;
  stats: SystemStats | null;
}

export interface Inventory {
  containers(): Promise<ContainerRecord[]>;
  routes(): Promise<Route[]>;
  health(): Promise<HealthRow[]>;
}

export function storeInventory(
  store: Store,
  livenessTimeoutMs: number,
  now: () => number = Date.now,
): Inventory {
  return {
    containers: () => store.listContainers(),
    routes: () => store.listRoutes(),
    async health() {
      const containers = await store.listContainers();
      const at = now();
      return Promise.all(
        containers.map(async (c) => {
          const h = await store.health(c.containerId);
          return {
            containerId: c.containerId,
            orgId: c.orgId,
            projectId: c.projectId,
            online: isOnline(h.lastWatchdog, at, livenessTimeoutMs),
            lastWatchdog: h.lastWatchdog,
            ageMs: h.lastWatchdog === null ? null : at - h.lastWatchdog,
            lastActivity: h.lastActivity,
            stats: h.stats,
          };
        }),
      );
    },
  };
}
