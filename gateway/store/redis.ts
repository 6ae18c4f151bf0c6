/** The Redis store (ioredis, standalone). Multi-key writes are Lua scripts in `redis/`, each within one slot. */
import { Redis } from 'ioredis';
import { conflict, ErrorCode, GatewayError } from '../../shared/errors.ts';
import type { SystemStats } from '../../shared/protocol.ts';
import { DEFAULT_ACCESS } from '../../shared/protocol.ts';
import { ChangeFeed } from './change-feed.ts';
import { RedisKeys as K } from './redis-keys.ts';
import { defineScripts, type ScriptCommands } from './redis-scripts.ts';
import {
  type ContainerRecord,
  type ContainerRegistration,
  containerRevoked,
  type Health,
  HISTORY_MAX,
  HISTORY_MS,
  ownListenerRefused,
  type ResolvedRoute,
  type Revocation,
  type Route,
  type ServiceMapping,
  type ServiceRecord,
  type StatsSample,
  type Store,
  type StoreChange,
} from './store.ts';

type StoredRoute = Omit<Route, 'hostname'>;

/** ARGV 1-7 of map_service.lua and touch_container.lua: the container as it registers. */
const registrationArgs = (reg: ContainerRegistration, now: number) =>
  [reg.containerId, reg.orgId, reg.projectId, reg.upstream, reg.gateway, reg.alias, now] as const;

const routeKeys = (cid: string) => [K.containers, K.container(cid), K.services(cid), K.hosts, K.version];

/** Turns a script's refusal (conflict, revoked) into the typed error; anything else is a store failure. */
function storeError(err: unknown): GatewayError {
  const message = err instanceof Error ? err.message : String(err);
  const host = /GW_CONFLICT (\S+)/.exec(message)?.[1];
  if (host) return conflict(`hostname ${host} is already taken by another container or service`);
  const revoked = /GW_REVOKED (\S+)/.exec(message)?.[1];
  if (revoked) return containerRevoked(revoked);
  const port = /GW_OWN_LISTENER (\d+)/.exec(message)?.[1];
  if (port) return ownListenerRefused(Number(port));
  return new GatewayError(ErrorCode.StoreUnavailable, 'the store failed to answer', 503);
}

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

export class RedisStore implements Store {
  readonly #redis: Redis & ScriptCommands;
  readonly #url: string;
  readonly #feed = new ChangeFeed();
  #subscriber: Redis | undefined;
  /** Containers whose record this process created or saw created (bounded). */
  readonly #recorded = new Set<string>();

  #remember(cid: string): void {
    if (this.#recorded.size >= 200_000) this.#recorded.clear();
    this.#recorded.add(cid);
  }

  constructor(url: string) {
    this.#url = url;
    this.#redis = defineScripts(new Redis(url, { maxRetriesPerRequest: 2, enableAutoPipelining: true }));
    this.#redis.on('error', () => {}); // reconnects by itself; callers see failed commands as GW_ERR_STORE_UNAVAILABLE
  }

  async mapService(reg: ContainerRegistration, svc: ServiceMapping, now: number): Promise<boolean> {
    const args = [...registrationArgs(reg, now), svc.name, svc.port];
    const changed = await this.#redis
      .dgMapService(
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
      )
      .catch((e) => Promise.reject(storeError(e)));
    return changed === 1;
  }

  async unmapService(containerId: string, name: string): Promise<boolean> {
    const changed = await this.#redis
      .dgUnmapService(...routeKeys(containerId), containerId, name, K.changes)
      .catch((e) => Promise.reject(storeError(e)));
    return changed === 1;
  }

  async removeContainer(containerId: string): Promise<boolean> {
    const removed = await this.#redis
      .dgRemoveContainer(...routeKeys(containerId), K.activity, containerId, K.changes)
      .catch((e) => Promise.reject(storeError(e)));
    await this.#redis.del(K.health(containerId), K.history(containerId));
    this.#recorded.delete(containerId);
    return removed === 1;
  }

  async revokeContainer(containerId: string, options: { onlyIfKnown?: boolean } = {}): Promise<Revocation> {
    const cid = containerId;
    const [status, removed] = await this.#redis
      .dgRevokeContainer(
        ...routeKeys(cid),
        K.activity,
        K.revoked,
        cid,
        K.changes,
        options.onlyIfKnown ? '1' : '0',
      )
      .catch((e) => Promise.reject(storeError(e)));
    if (status === 'unknown') return { status, removed: false };
    this.#recorded.delete(cid);
    // The container's own slot gets the mark too, in one transaction with the deletes: watchdog.lua checks
    // it there (gateways that remember the container skip touch_container.lua and its check).
    const results = await this.#redis
      .multi()
      .set(K.revokedMark(cid), '1')
      .del(K.health(cid), K.history(cid))
      .exec()
      .catch((e) => Promise.reject(storeError(e)));
    if (!results || results.some(([err]) => err)) throw storeError(new Error('revocation mark not written'));
    return { status: status as Revocation['status'], removed: removed === 1 };
  }

  async isRevoked(containerId: string): Promise<boolean> {
    const member = await this.#redis
      .sismember(K.revoked, containerId)
      .catch((e) => Promise.reject(storeError(e)));
    return member === 1;
  }

  async getContainer(containerId: string): Promise<ContainerRecord | null> {
    return toContainer(containerId, await this.#redis.hgetall(K.container(containerId)));
  }

  async listContainers(): Promise<ContainerRecord[]> {
    const ids = (await this.#redis.smembers(K.containers)).sort();
    const records = await Promise.all(ids.map((id) => this.getContainer(id)));
    return records.filter((r): r is ContainerRecord => r !== null);
  }

  async listServices(containerId: string): Promise<ServiceRecord[]> {
    const raw = await this.#redis.hgetall(K.services(containerId));
    return Object.values(raw)
      .map((v) => JSON.parse(v) as ServiceRecord)
      .sort((a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name));
  }

  async resolve(hostname: string, containerHint?: string): Promise<ResolvedRoute | null> {
    // The two keys live in different slots (no script can read both): with a hint, both reads go out
    // together, one round trip when the route still belongs to the hinted container.
    const [raw, hintedBeat] = await Promise.all([
      this.#redis.hget(K.hosts, hostname),
      containerHint === undefined ? null : this.#redis.hget(K.health(containerHint), 'beat'),
    ]);
    if (raw === null) return null;
    const route = JSON.parse(raw) as StoredRoute;
    const beat =
      route.containerId === containerHint
        ? hintedBeat
        : await this.#redis.hget(K.health(route.containerId), 'beat');
    return {
      hostname,
      ...route,
      ownerId: route.ownerId ?? '',
      lastWatchdog: beat === null ? null : Number(beat),
    };
  }

  async listRoutes(): Promise<Route[]> {
    const all = await this.#redis.hgetall(K.hosts);
    return Object.entries(all)
      .map(([hostname, raw]) => ({ hostname, ...(JSON.parse(raw) as StoredRoute) }))
      .sort((a, b) => a.hostname.localeCompare(b.hostname));
  }

  async routesVersion(): Promise<number> {
    return Number((await this.#redis.get(K.version)) ?? 0);
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
      : this.#redis
          .dgTouchContainer(K.containers, K.container(cid), K.revoked, ...registrationArgs(reg, now))
          .then(() => this.#remember(cid));
    await Promise.all([
      touch,
      this.#redis.dgWatchdog(
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
    ]).catch((e) => Promise.reject(storeError(e)));
  }

  async recordActivity(times: ReadonlyMap<string, number>): Promise<void> {
    if (times.size === 0) return;
    const entries = [...times];
    const keys = [K.activity, ...entries.map(([cid]) => K.container(cid))];
    await this.#redis.dgActivity(keys.length, ...keys, ...entries.flat());
  }

  async health(containerId: string): Promise<Health> {
    const [h, activity] = await Promise.all([
      this.#redis.hgetall(K.health(containerId)),
      this.#redis.hget(K.activity, containerId),
    ]);
    return {
      containerId,
      lastWatchdog: h.beat ? Number(h.beat) : null,
      lastActivity: activity === null ? null : Number(activity),
      stats: h.stats ? (JSON.parse(h.stats) as SystemStats) : null,
    };
  }

  async statsHistory(containerId: string): Promise<StatsSample[]> {
    const members = await this.#redis.zrange(K.history(containerId), '0', '-1');
    return members.map((m) => {
      const space = m.indexOf(' ');
      return { at: Number(m.slice(0, space)), stats: JSON.parse(m.slice(space + 1)) as SystemStats };
    });
  }

  async putAuthCode(code: string, value: string, ttlMs: number): Promise<void> {
    await this.#redis.set(K.authCode(code), value, 'PX', ttlMs).catch((e) => Promise.reject(storeError(e)));
  }

  async takeAuthCode(code: string): Promise<string | null> {
    return this.#redis.getdel(K.authCode(code)).catch((e) => Promise.reject(storeError(e)));
  }

  async subscribe(listener: (change: StoreChange) => void): Promise<() => Promise<void>> {
    const remove = this.#feed.add(listener);
    if (!this.#subscriber) await this.#startSubscriber();
    return remove;
  }

  async ping(): Promise<void> {
    await this.#redis.ping().catch((e) => Promise.reject(storeError(e)));
  }

  async close(): Promise<void> {
    this.#feed.clear();
    this.#subscriber?.disconnect();
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  async #startSubscriber(): Promise<void> {
    const sub = new Redis(this.#url, { maxRetriesPerRequest: null });
    this.#subscriber = sub;
    sub.on('error', () => {});
    sub.on('message', (_channel: string, message: string) => {
      try {
        this.#feed.emit(JSON.parse(message) as StoreChange);
      } catch {
        // A malformed message cannot be applied: treat it as a gap in the feed.
        this.#feed.emit({ kind: 'resync' });
      }
    });
    await sub.subscribe(K.changes);
    // After a reconnect ioredis re-subscribes, but messages sent in between are lost: tell listeners.
    sub.on('ready', () => this.#feed.emit({ kind: 'resync' }));
  }
}
