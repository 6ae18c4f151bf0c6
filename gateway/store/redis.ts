/**
 * The Redis store (ioredis: one server, Sentinel or Cluster; see redis-target.ts). Multi-key writes are Lua
 * scripts in `redis/`, each within one slot; no pipeline or transaction spans two slots.
 */

import type { Redis } from 'ioredis';
import type { SystemStats } from '../../shared/protocol.ts';
import { DEFAULT_ACCESS } from '../../shared/protocol.ts';
import { ChangeFeed } from './change-feed.ts';
import { inSlices } from './in-slices.ts';
import { RedisOidcRecords } from './oidc-records-redis.ts';
import type { RedisClient } from './redis-clients.ts';
import { RedisConnection } from './redis-connection.ts';
import { subscribeChanges } from './redis-feed.ts';
import { RedisKeys as K } from './redis-keys.ts';
import { type ReplicaWaits, waitForReplica } from './redis-replica-wait.ts';
import type { ScriptCommands } from './redis-scripts.ts';
import type { RedisTarget } from './redis-target.ts';
import {
  type ContainerRecord,
  type ContainerRegistration,
  type Health,
  HISTORY_MAX,
  HISTORY_MS,
  type ResolvedRoute,
  type Revocation,
  type Route,
  type ServiceMapping,
  type ServiceRecord,
  type StatsSample,
  type Store,
  type StoreChange,
  type StoreObserver,
  StoreUnavailableError,
} from './store.ts';

type StoredRoute = Omit<Route, 'hostname'>;

/** ARGV 1-7 of map_service.lua and touch_container.lua: the container as it registers. */
const registrationArgs = (reg: ContainerRegistration, now: number) =>
  [reg.containerId, reg.orgId, reg.projectId, reg.upstream, reg.gateway, reg.alias, now] as const;

const routeKeys = (cid: string) => [K.containers, K.container(cid), K.services(cid), K.hosts, K.version];

function toContainer(containerId: string, h: Record<string, string>): ContainerRecord | null {
  if (!h.org) return null;
  return {
    containerId,
    orgId: h.org,
    projectId: h.project ?? '',
    upstream: h.upstream ?? '',
    gateway: h.gateway ?? '',
    alias: h.alias ?? '',
    primary: h.primary ?? '',
    createdAt: Number(h.created),
    ...(h.owner ? { ownerId: h.owner } : {}),
  };
}

export interface RedisStoreOptions {
  /** Deadline of every command (STORE_TIMEOUT); past it the command fails with GW_ERR_STORE_UNAVAILABLE. */
  timeoutMs?: number;
  /** Told every command's outcome (store health). */
  observer?: StoreObserver;
  /** Counts how revocations' replica waits ended (redis-replica-wait.ts). */
  replicaWaits?: ReplicaWaits;
}

export class RedisStore implements Store {
  readonly #conn: RedisConnection;
  readonly #target: string | RedisTarget;
  readonly #timeoutMs: number;
  readonly #replicaWaits: ReplicaWaits | undefined;
  readonly #feed = new ChangeFeed();
  #subscriber: Promise<Redis> | undefined;
  /** Containers whose record this process created or saw created (bounded). */
  readonly #recorded = new Set<string>();
  readonly oidc: RedisOidcRecords;

  #remember(cid: string): void {
    if (this.#recorded.size >= 200_000) this.#recorded.clear();
    this.#recorded.add(cid);
  }

  /** `target`: a redis:// URL (one server) or a parsed target (Sentinel, Cluster). */
  constructor(target: string | RedisTarget, options: RedisStoreOptions = {}) {
    this.#target = target;
    this.#timeoutMs = options.timeoutMs ?? 1_000;
    this.#replicaWaits = options.replicaWaits;
    // Reconnects by itself; callers see failed commands as GW_ERR_STORE_UNAVAILABLE within the deadline.
    this.#conn = new RedisConnection(target, this.#timeoutMs, options.observer);
    this.oidc = new RedisOidcRecords((send) => this.#run(send));
  }

  async mapService(reg: ContainerRegistration, svc: ServiceMapping, now: number): Promise<boolean> {
    const args = [...registrationArgs(reg, now), svc.name, svc.port];
    const changed = await this.#run((r) =>
      r.dgMapService(
        ...routeKeys(reg.containerId),
        K.revoked,
        ...args,
        svc.access ?? '',
        svc.primary ? '1' : '0',
        svc.hostname,
        K.changes,
        reg.ownerId ?? '',
        svc.defaultAccess ?? DEFAULT_ACCESS,
        reg.ownPorts?.join(',') ?? '',
      ),
    );
    return changed === 1;
  }

  async unmapService(containerId: string, name: string): Promise<boolean> {
    const changed = await this.#run((r) =>
      r.dgUnmapService(...routeKeys(containerId), containerId, name, K.changes),
    );
    return changed === 1;
  }

  async removeContainer(containerId: string): Promise<boolean> {
    const removed = await this.#run((r) =>
      r.dgRemoveContainer(...routeKeys(containerId), K.activity, containerId, K.changes),
    );
    await this.#run((r) => r.del(K.health(containerId), K.history(containerId)));
    this.#recorded.delete(containerId);
    return removed === 1;
  }

  async revokeContainer(containerId: string, options: { onlyIfKnown?: boolean } = {}): Promise<Revocation> {
    const cid = containerId;
    const [status, removed] = await this.#run((r) =>
      r.dgRevokeContainer(
        ...routeKeys(cid),
        K.activity,
        K.revoked,
        cid,
        K.changes,
        options.onlyIfKnown ? '1' : '0',
      ),
    );
    if (status === 'unknown') return { status, removed: false };
    this.#recorded.delete(cid);
    // The container's own slot gets the mark too, in one transaction with the deletes: watchdog.lua checks
    // it there (gateways that remember the container skip touch_container.lua and its check).
    const results = await this.#run((r) =>
      r.multi().set(K.revokedMark(cid), '1').del(K.health(cid), K.history(cid)).exec(),
    );
    if (!results || results.some(([err]) => err)) throw new StoreUnavailableError('server_error');
    // A revocation must survive a failover: one replica of each primary written holds it.
    const waitMs = Math.max(1, Math.floor(this.#timeoutMs / 2));
    await this.#run((r) =>
      waitForReplica(r, [K.revoked, K.revokedMark(cid)], waitMs, this.#replicaWaits, 'revocation'),
    );
    return { status: status as Revocation['status'], removed: removed === 1 };
  }

  async isRevoked(containerId: string): Promise<boolean> {
    return (await this.#run((r) => r.sismember(K.revoked, containerId))) === 1;
  }

  async getContainer(containerId: string): Promise<ContainerRecord | null> {
    return toContainer(containerId, await this.#run((r) => r.hgetall(K.container(containerId))));
  }

  async listContainers(): Promise<ContainerRecord[]> {
    const ids = (await this.#run((r) => r.smembers(K.containers))).sort();
    const records = await inSlices(ids, (id) => this.getContainer(id));
    return records.filter((r): r is ContainerRecord => r !== null);
  }

  async listServices(containerId: string): Promise<ServiceRecord[]> {
    const raw = await this.#run((r) => r.hgetall(K.services(containerId)));
    return Object.values(raw)
      .map((v) => JSON.parse(v) as ServiceRecord)
      .sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
  }

  async resolve(hostname: string, containerHint?: string): Promise<ResolvedRoute | null> {
    // The two keys live in different slots (no script can read both): with a hint, both reads go out
    // together, one round trip when the route still belongs to the hinted container.
    const [raw, hintedBeat] = await Promise.all([
      this.#run((r) => r.hget(K.hosts, hostname)),
      containerHint === undefined ? null : this.#run((r) => r.hget(K.health(containerHint), 'beat')),
    ]);
    if (raw === null) return null;
    const route = JSON.parse(raw) as StoredRoute;
    const beat =
      route.containerId === containerHint
        ? hintedBeat
        : await this.#run((r) => r.hget(K.health(route.containerId), 'beat'));
    return {
      hostname,
      ...route,
      ownerId: route.ownerId ?? '',
      lastWatchdog: beat === null ? null : Number(beat),
    };
  }

  async listRoutes(): Promise<Route[]> {
    const all = await this.#run((r) => r.hgetall(K.hosts));
    return Object.entries(all)
      .map(([hostname, raw]) => ({ hostname, ...(JSON.parse(raw) as StoredRoute) }))
      .sort((a, b) => a.hostname.localeCompare(b.hostname));
  }

  async routesVersion(): Promise<number> {
    return Number((await this.#run((r) => r.get(K.version))) ?? 0);
  }

  async recordWatchdog(
    reg: ContainerRegistration,
    stats: SystemStats,
    now: number,
    livenessTimeoutMs: number,
  ): Promise<void> {
    const { containerId: cid } = reg;
    // The container record only needs creating once: skip the script for containers seen recently.
    const touch = this.#recorded.has(cid)
      ? undefined
      : this.#run((r) =>
          r.dgTouchContainer(K.containers, K.container(cid), K.revoked, ...registrationArgs(reg, now)),
        ).then(() => this.#remember(cid));
    await Promise.all([
      touch,
      this.#run((r) =>
        r.dgWatchdog(
          K.health(cid),
          K.history(cid),
          K.revokedMark(cid),
          now,
          JSON.stringify(stats),
          livenessTimeoutMs,
          HISTORY_MS,
          HISTORY_MAX,
          cid,
          K.changes,
        ),
      ),
    ]);
  }

  async recordActivity(times: ReadonlyMap<string, number>): Promise<void> {
    if (times.size === 0) return;
    const entries = [...times];
    const keys = [K.activity, ...entries.map(([cid]) => K.container(cid))];
    await this.#run((r) => r.dgActivity(keys.length, ...keys, ...entries.flat()));
  }

  async health(containerId: string): Promise<Health> {
    const [h, activity] = await Promise.all([
      this.#run((r) => r.hgetall(K.health(containerId))),
      this.#run((r) => r.hget(K.activity, containerId)),
    ]);
    return {
      containerId,
      lastWatchdog: h.beat ? Number(h.beat) : null,
      lastActivity: activity === null ? null : Number(activity),
      stats: h.stats ? (JSON.parse(h.stats) as SystemStats) : null,
    };
  }

  async statsHistory(containerId: string): Promise<StatsSample[]> {
    const members = await this.#run((r) => r.zrange(K.history(containerId), '0', '-1'));
    return members.map((m) => {
      const space = m.indexOf(' ');
      return { at: Number(m.slice(0, space)), stats: JSON.parse(m.slice(space + 1)) as SystemStats };
    });
  }

  async putAuthCode(code: string, value: string, ttlMs: number): Promise<void> {
    await this.#run((r) => r.set(K.authCode(code), value, 'PX', ttlMs));
  }

  async takeAuthCode(code: string): Promise<string | null> {
    return this.#run((r) => r.getdel(K.authCode(code)));
  }

  async subscribe(listener: (change: StoreChange) => void): Promise<() => Promise<void>> {
    const remove = this.#feed.add(listener);
    this.#subscriber ??= subscribeChanges(this.#target, this.#timeoutMs, this.#feed);
    // A failed first subscription is tried again by the next subscribe.
    await this.#subscriber.catch((err: unknown) => {
      this.#subscriber = undefined;
      void remove();
      throw err;
    });
    return remove;
  }

  /** The health check: its outcome is reported by the checker, not the observer. */
  async ping(): Promise<void> {
    await this.#conn.run((r) => r.ping(), false);
  }

  async close(): Promise<void> {
    this.#feed.clear();
    const subscriber = await this.#subscriber?.catch(() => undefined);
    subscriber?.disconnect();
    await this.#conn.close();
  }

  #run<T>(send: (redis: RedisClient & ScriptCommands) => Promise<T>): Promise<T> {
    return this.#conn.run(send);
  }
}
