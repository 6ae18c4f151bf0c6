/**
 * The whole-table reads the dashboard filters (containers, routes), shared: concurrent page loads and the
 * live refreshes of every open page wait on one read instead of each reading 10,000 records from the
 * store. A snapshot is reused until a change arrives on the feed (or it is `maxAgeMs` old: a missed
 * message cannot keep it forever); a read that a change overtook is not reused.
 */
import type { ContainerRecord, Route, Store } from '../../store/store.ts';

export interface Tables {
  containers: ContainerRecord[];
  routes: Route[];
}

export type SnapshotStore = Pick<Store, 'listContainers' | 'listRoutes' | 'health' | 'subscribe'>;

export function storeSnapshots(store: SnapshotStore, maxAgeMs = 5_000, now: () => number = Date.now) {
  let generation = 0;
  let subscribing = false;
  let live = false;
  let current: { generation: number; at: number; live: boolean; tables: Promise<Tables> } | undefined;
  return {
    /** The tables as of a read no older than the last change seen. */
    async tables(): Promise<Tables> {
      // Subscribed on first use; until it is live (or when it failed), every call reads afresh.
      if (!subscribing) {
        subscribing = true;
        store
          .subscribe(() => {
            generation++;
          })
          .then(
            () => {
              live = true;
            },
            () => {
              subscribing = false;
            },
          );
      }
      if (current?.live && current.generation === generation && now() - current.at < maxAgeMs)
        return current.tables;
      const read = { generation, at: now(), live, tables: readTables(store) };
      current = read;
      read.tables.catch(() => {
        if (current === read) current = undefined;
      });
      return read.tables;
    },
  };
}

async function readTables(store: SnapshotStore): Promise<Tables> {
  const [containers, routes] = await Promise.all([store.listContainers(), store.listRoutes()]);
  return { containers, routes };
}
