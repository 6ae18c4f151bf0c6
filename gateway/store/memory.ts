/** The embedded store: one process, no other service. Same contract as the Redis store. */
import { conflict } from '../../shared/errors.ts';
import { DEFAULT_ACCESS, type SystemStats } from '../../shared/protocol.ts';
import { ChangeFeed } from './change-feed.ts';
import { MemoryOidcRecords } from './oidc-records-memory.ts';
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

interface ContainerState {
  record: ContainerRecord;
  services: Map<string, ServiceRecord>;
  lastWatchdog: number | null;
  lastActivity: number | null;
  stats: SystemStats | null;
  history: StatsSample[];
}

export class MemoryStore implements Store {
  readonly #containers = new Map<string, ContainerState>();
  /** hostname -> [containerId, service]: the route table index. */
  readonly #hosts = new Map<string, [string, string]>();
  readonly #feed = new ChangeFeed();
  /** Revoked container ids, for good. */
  readonly #revoked = new Set<string>();
  #version = 0;
  readonly oidc = new MemoryOidcRecords();

  async mapService(reg: ContainerRegistration, svc: ServiceMapping, now: number): Promise<boolean> {
    if (this.#revoked.has(reg.containerId)) throw containerRevoked(reg.containerId);
    const existing = this.#containers.get(reg.containerId);
    if (reg.ownPorts?.length) {
      // The container's other services move to this upstream too.
      const others = [...(existing?.services.values() ?? [])].filter((s) => s.name !== svc.name);
      const hit = [svc.port, ...others.map((s) => s.port)].find((p) => reg.ownPorts?.includes(p));
      if (hit !== undefined) throw ownListenerRefused(hit);
    }
    this.#checkHost(svc.hostname, reg.containerId, svc.name);
    this.#checkHost(reg.alias, reg.containerId);
    const state = existing ?? this.#newContainer(reg, now);
    const touched = new Set<string>();
    const record = state.record;
    if (record.upstream !== reg.upstream) {
      record.upstream = reg.upstream;
      for (const host of this.#hostsOf(state)) touched.add(host);
    }
    if (reg.ownerId && record.ownerId !== reg.ownerId) {
      record.ownerId = reg.ownerId;
      for (const host of this.#hostsOf(state)) touched.add(host);
    }
    const old = state.services.get(svc.name);
    const access = svc.access ?? old?.access ?? svc.defaultAccess ?? DEFAULT_ACCESS;
    if (!old || old.port !== svc.port || old.access !== access || old.hostname !== svc.hostname) {
      if (old && old.hostname !== svc.hostname) {
        this.#hosts.delete(old.hostname);
        touched.add(old.hostname);
      }
      state.services.set(svc.name, {
        name: svc.name,
        port: svc.port,
        access,
        hostname: svc.hostname,
        createdAt: old?.createdAt ?? now,
      });
      this.#hosts.set(svc.hostname, [reg.containerId, svc.name]);
      touched.add(svc.hostname);
      if (record.primary === svc.name) touched.add(record.alias);
    }
    if (svc.primary === true || record.primary === '') {
      if (record.primary !== svc.name) {
        record.primary = svc.name;
        this.#hosts.set(record.alias, [reg.containerId, svc.name]);
        touched.add(record.alias);
      }
    }
    if (!existing) this.#containers.set(reg.containerId, state);
    return this.#publish(reg.containerId, touched);
  }

  async unmapService(containerId: string, name: string): Promise<boolean> {
    const state = this.#containers.get(containerId);
    const svc = state?.services.get(name);
    if (!state || !svc) return false;
    state.services.delete(name);
    this.#hosts.delete(svc.hostname);
    const touched = new Set([svc.hostname]);
    if (state.record.primary === name) {
      touched.add(state.record.alias);
      const next = [...state.services.values()].sort(
        (a, b) => a.createdAt - b.createdAt || a.name.localeCompare(b.name),
      )[0];
      state.record.primary = next?.name ?? '';
      if (next) this.#hosts.set(state.record.alias, [containerId, next.name]);
      else this.#hosts.delete(state.record.alias);
    }
    return this.#publish(containerId, touched);
  }

  async removeContainer(containerId: string): Promise<boolean> {
    const state = this.#containers.get(containerId);
    if (!state) return false;
    const touched = new Set(this.#hostsOf(state));
    for (const host of touched) this.#hosts.delete(host);
    this.#containers.delete(containerId);
    this.#publish(containerId, touched);
    return true;
  }

  async revokeContainer(containerId: string, options: { onlyIfKnown?: boolean } = {}): Promise<Revocation> {
    const was = this.#revoked.has(containerId);
    if (!was && options.onlyIfKnown && !this.#containers.has(containerId))
      return { status: 'unknown', removed: false };
    this.#revoked.add(containerId);
    const removed = await this.removeContainer(containerId);
    this.#feed.emit({ kind: 'revoked', containerId });
    return { status: was ? 'already-revoked' : 'revoked', removed };
  }

  async isRevoked(containerId: string): Promise<boolean> {
    return this.#revoked.has(containerId);
  }

  async getContainer(containerId: string): Promise<ContainerRecord | null> {
    const state = this.#containers.get(containerId);
    return state ? { ...state.record } : null;
  }

  async listContainers(): Promise<ContainerRecord[]> {
    return [...this.#containers.values()].map((s) => ({ ...s.record }));
  }

  async listServices(containerId: string): Promise<ServiceRecord[]> {
    return [...(this.#containers.get(containerId)?.services.values() ?? [])].map((s) => ({ ...s }));
  }

  /** The container hint saves nothing in memory: it is ignored. */
  async resolve(hostname: string, _containerHint?: string): Promise<ResolvedRoute | null> {
    const route = this.#route(hostname);
    if (!route) return null;
    return { ...route, lastWatchdog: this.#containers.get(route.containerId)?.lastWatchdog ?? null };
  }

  async listRoutes(): Promise<Route[]> {
    return [...this.#hosts.keys()].map((h) => this.#route(h)).filter((r): r is Route => r !== null);
  }

  async routesVersion(): Promise<number> {
    return this.#version;
  }

  async recordWatchdog(
    reg: ContainerRegistration,
    stats: SystemStats,
    now: number,
    livenessTimeoutMs: number,
  ): Promise<void> {
    if (this.#revoked.has(reg.containerId)) throw containerRevoked(reg.containerId);
    let state = this.#containers.get(reg.containerId);
    if (!state) {
      state = this.#newContainer(reg, now);
      this.#containers.set(reg.containerId, state);
    }
    const wasOnline = state.lastWatchdog !== null && now - state.lastWatchdog < livenessTimeoutMs;
    state.lastWatchdog = Math.max(state.lastWatchdog ?? 0, now);
    state.stats = stats;
    state.history.push({ at: now, stats });
    const horizon = now - HISTORY_MS;
    const firstKept = state.history.findIndex((s) => s.at > horizon);
    state.history.splice(0, firstKept === -1 ? state.history.length : firstKept);
    if (state.history.length > HISTORY_MAX) state.history.splice(0, state.history.length - HISTORY_MAX);
    if (!wasOnline) this.#feed.emit({ kind: 'liveness', containerId: reg.containerId, lastWatchdog: now });
  }

  async recordActivity(times: ReadonlyMap<string, number>): Promise<void> {
    for (const [containerId, at] of times) {
      const state = this.#containers.get(containerId);
      if (state) state.lastActivity = Math.max(state.lastActivity ?? 0, at);
    }
  }

  async health(containerId: string): Promise<Health> {
    const s = this.#containers.get(containerId);
    return {
      containerId,
      lastWatchdog: s?.lastWatchdog ?? null,
      lastActivity: s?.lastActivity ?? null,
      stats: s?.stats ?? null,
    };
  }

  async statsHistory(containerId: string): Promise<StatsSample[]> {
    return [...(this.#containers.get(containerId)?.history ?? [])];
  }

  readonly #codes = new Map<string, { value: string; expiresAt: number }>();

  async putAuthCode(code: string, value: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    for (const [k, v] of this.#codes) if (v.expiresAt <= now) this.#codes.delete(k);
    this.#codes.set(code, { value, expiresAt: now + ttlMs });
  }

  async takeAuthCode(code: string): Promise<string | null> {
    const entry = this.#codes.get(code);
    this.#codes.delete(code);
    return entry && entry.expiresAt > Date.now() ? entry.value : null;
  }

  async subscribe(listener: (change: StoreChange) => void): Promise<() => Promise<void>> {
    return this.#feed.add(listener);
  }

  /** Publishes a change on this store's feed: state kept beside the store (the memory pool state) shares it. */
  emit(change: StoreChange): void {
    this.#feed.emit(change);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#feed.clear();
  }

  #newContainer(reg: ContainerRegistration, now: number): ContainerState {
    const { containerId, orgId, projectId, upstream, gateway, alias, ownerId } = reg;
    return {
      record: {
        containerId,
        orgId,
        projectId,
        upstream,
        gateway,
        alias,
        primary: '',
        createdAt: now,
        ...(ownerId ? { ownerId } : {}),
      },
      services: new Map(),
      lastWatchdog: null,
      lastActivity: null,
      stats: null,
      history: [],
    };
  }

  /** A hostname may be taken again only by the same container (and, for a service hostname, the same service). */
  #checkHost(hostname: string, containerId: string, service?: string): void {
    const owner = this.#hosts.get(hostname);
    if (!owner) return;
    if (owner[0] !== containerId || (service !== undefined && owner[1] !== service)) {
      throw conflict(
        `hostname ${hostname} is already taken by another ${owner[0] === containerId ? 'service' : 'container'}`,
      );
    }
  }

  #hostsOf(state: ContainerState): string[] {
    const hosts = [...state.services.values()].map((s) => s.hostname);
    if (state.record.primary !== '') hosts.push(state.record.alias);
    return hosts;
  }

  #route(hostname: string): Route | null {
    const owner = this.#hosts.get(hostname);
    const state = owner && this.#containers.get(owner[0]);
    const svc = owner && state?.services.get(owner[1]);
    if (!state || !svc) return null;
    const { containerId, orgId, projectId, upstream, ownerId } = state.record;
    return {
      ownerId: ownerId ?? '',
      hostname,
      containerId,
      orgId,
      projectId,
      service: svc.name,
      upstream,
      port: svc.port,
      access: svc.access,
    };
  }

  #publish(containerId: string, touched: Set<string>): boolean {
    if (touched.size === 0) return false;
    this.#version += 1;
    this.#feed.emit({ kind: 'routes', version: this.#version, containerId, hostnames: [...touched].sort() });
    return true;
  }
}
