/**
 * The dashboard's container list, filtered and paged on the server: the whole tables (containers, routes;
 * shared between requests by store-snapshot.ts), a filter in memory, and per-container health only for the rows shown (or, with a state filter,
 * for the rows that matched). The query is validated with zod; a page holds PAGE_SIZE rows.
 */
import { z } from 'zod';
import type { AccessLevel, SystemStats } from '../../../shared/protocol.ts';
import { isOnline } from '../../routes/liveness.ts';
import { inSlices } from '../../store/in-slices.ts';
import type { ContainerRecord, Route, Store } from '../../store/store.ts';
import type { Tables } from './store-snapshot.ts';

export const PAGE_SIZE = 50;

/** `GET /dashboard` and `/dashboard/containers` query parameters. */
export const DashboardQuery = z.object({
  /** Substring of a container id, organisation, project or hostname (case-insensitive). */
  q: z.string().trim().max(200).default(''),
  /** An organisation id, exactly. */
  org: z.string().trim().max(100).default(''),
  state: z.enum(['all', 'online', 'offline']).default('all'),
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
});
export type DashboardQuery = z.infer<typeof DashboardQuery>;

export interface ServiceRow {
  name: string;
  port: number;
  access: AccessLevel;
  /** The service's hostnames, the container's primary alias first when this service holds it. */
  hostnames: string[];
}

export interface ContainerRow {
  container: ContainerRecord;
  services: ServiceRow[];
  online: boolean;
  lastWatchdog: number | null;
  stats: SystemStats | null;
}

export interface ContainerPage {
  query: DashboardQuery;
  rows: ContainerRow[];
  /** Containers in the store, and those that matched the filter. */
  total: number;
  matched: number;
  pages: number;
}

type ContainerStore = Pick<Store, 'health'> & { tables(): Promise<Tables> };

function servicesOf(container: ContainerRecord, routes: Route[]): ServiceRow[] {
  const byName = new Map<string, ServiceRow>();
  for (const r of routes) {
    const row = byName.get(r.service) ?? { name: r.service, port: r.port, access: r.access, hostnames: [] };
    if (r.hostname === container.alias) row.hostnames.unshift(r.hostname);
    else row.hostnames.push(r.hostname);
    byName.set(r.service, row);
  }
  return [...byName.values()].sort((a, b) =>
    a.name === container.primary ? -1 : b.name === container.primary ? 1 : a.name.localeCompare(b.name),
  );
}

/** Reads one page of containers for `query`; newest first. */
export async function containerPage(
  store: ContainerStore,
  query: DashboardQuery,
  livenessTimeoutMs: number,
  now: number,
): Promise<ContainerPage> {
  const { containers, routes } = await store.tables();
  const routesOf = new Map<string, Route[]>();
  for (const r of routes) {
    const list = routesOf.get(r.containerId);
    if (list) list.push(r);
    else routesOf.set(r.containerId, [r]);
  }
  const needle = query.q.toLowerCase();
  const matches = (c: ContainerRecord) =>
    (!query.org || c.orgId === query.org) &&
    (!needle ||
      c.containerId.toLowerCase().includes(needle) ||
      c.orgId.toLowerCase().includes(needle) ||
      c.projectId.toLowerCase().includes(needle) ||
      (routesOf.get(c.containerId) ?? []).some((r) => r.hostname.includes(needle)));
  let matched = containers.filter(matches);
  const healthOf = new Map<string, Awaited<ReturnType<Store['health']>>>();
  const readHealth = async (list: ContainerRecord[]) => {
    const read = await inSlices(list, (c) => store.health(c.containerId));
    for (const h of read) healthOf.set(h.containerId, h);
  };
  const onlineOf = (id: string) => isOnline(healthOf.get(id)?.lastWatchdog ?? null, now, livenessTimeoutMs);
  if (query.state !== 'all') {
    await readHealth(matched);
    matched = matched.filter((c) => onlineOf(c.containerId) === (query.state === 'online'));
  }
  matched.sort((a, b) => b.createdAt - a.createdAt || a.containerId.localeCompare(b.containerId));
  const pages = Math.max(1, Math.ceil(matched.length / PAGE_SIZE));
  const shown = matched.slice((query.page - 1) * PAGE_SIZE, query.page * PAGE_SIZE);
  if (query.state === 'all') await readHealth(shown);
  return {
    query,
    total: containers.length,
    matched: matched.length,
    pages,
    rows: shown.map((c) => ({
      container: c,
      services: servicesOf(c, routesOf.get(c.containerId) ?? []),
      online: onlineOf(c.containerId),
      lastWatchdog: healthOf.get(c.containerId)?.lastWatchdog ?? null,
      stats: healthOf.get(c.containerId)?.stats ?? null,
    })),
  };
}
