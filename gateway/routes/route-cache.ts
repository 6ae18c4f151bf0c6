/**
 * The proxy's in-process route table: exact Host -> route, filled from the store on a miss and kept
 * fresh by the store's change feed (a `routes` message drops the named hostnames at once, and a load
 * begun before it is no longer joined). A hostname that was cached with a route is read again at once,
 * so the next request after a change is usually a hit. A short TTL and a full drop on a version gap or a
 * reconnect guard against a missed message. A hit never touches the store.
 */
import type { ResolvedRoute, Store, StoreChange } from '../store/store.ts';

export interface RouteCacheOptions {
  /** How long a found route is trusted without a change message. */
  ttlMs: number;
  /** How long "no such hostname" is remembered (unknown hosts are cheap to ask for again). */
  negativeTtlMs: number;
  /** Bound on cached hostnames; the oldest entries go first. */
  maxEntries: number;
  now?: () => number;
}

interface Entry {
  route: ResolvedRoute | null;
  expiresAt: number;
}

export interface RouteCacheStats {
  hits: number;
  misses: number;
  changes: number;
  resyncs: number;
}

export class RouteCache {
  readonly #store: Store;
  readonly #opts: Required<RouteCacheOptions>;
  readonly #entries = new Map<string, Entry>();
  readonly #byContainer = new Map<string, Set<string>>();
  readonly #loading = new Map<string, Promise<ResolvedRoute | null>>();
  readonly #listeners = new Set<(hostnames: readonly string[] | 'all') => void>();
  #version = -1;
  /** Bumped on every invalidation, so a load that raced with one does not store its stale answer. */
  #epoch = 0;
  readonly stats: RouteCacheStats = { hits: 0, misses: 0, changes: 0, resyncs: 0 };
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(store: Store, options: RouteCacheOptions) {
    this.#store = store;
    this.#opts = { now: Date.now, ...options };
  }

  /** Subscribes to the change feed; call once before serving. */
  async start(): Promise<void> {
    this.#unsubscribe = await this.#store.subscribe((change) => this.#apply(change));
    this.#version = await this.#store.routesVersion();
  }

  async stop(): Promise<void> {
    await this.#unsubscribe?.();
    this.#entries.clear();
    this.#byContainer.clear();
  }

  /** Called with the hostnames whose routes changed (or 'all'), after the cache dropped them. */
  onInvalidate(listener: (hostnames: readonly string[] | 'all') => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The cached answer for a hostname, or undefined when the store must be asked (see `load`). */
  peek(hostname: string): ResolvedRoute | null | undefined {
    const entry = this.#entries.get(hostname);
    if (entry !== undefined && entry.expiresAt > this.#opts.now()) {
      this.stats.hits++;
      return entry.route;
    }
    return undefined;
  }

  /** Asks the store (one request per hostname at a time) and caches the answer. */
  load(hostname: string): Promise<ResolvedRoute | null> {
    this.stats.misses++;
    return this.#loading.get(hostname) ?? this.#fetch(hostname, undefined);
  }

  /**
   * One store read whose answer is cached unless a change came in the meantime. `containerHint`, the
   * container the hostname belonged to, lets the store read the route and its watchdog together.
   */
  #fetch(hostname: string, containerHint: string | undefined): Promise<ResolvedRoute | null> {
    const epoch = this.#epoch;
    const settled = () => {
      if (this.#loading.get(hostname) === promise) this.#loading.delete(hostname);
    };
    const promise = this.#store.resolve(hostname, containerHint).then(
      (route) => {
        settled();
        if (epoch === this.#epoch) this.#put(hostname, route);
        return route;
      },
      (err: unknown) => {
        settled();
        throw err;
      },
    );
    this.#loading.set(hostname, promise);
    return promise;
  }

  /** peek, then load on a miss. */
  resolve(hostname: string): ResolvedRoute | null | Promise<ResolvedRoute | null> {
    const hit = this.peek(hostname);
    return hit === undefined ? this.load(hostname) : hit;
  }

  get size(): number {
    return this.#entries.size;
  }

  #put(hostname: string, route: ResolvedRoute | null): void {
    if (this.#entries.size >= this.#opts.maxEntries && !this.#entries.has(hostname)) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#drop(oldest);
    }
    const ttl = route ? this.#opts.ttlMs : this.#opts.negativeTtlMs;
    this.#entries.set(hostname, { route, expiresAt: this.#opts.now() + ttl });
    if (route) {
      let hosts = this.#byContainer.get(route.containerId);
      if (!hosts) {
        hosts = new Set();
        this.#byContainer.set(route.containerId, hosts);
      }
      hosts.add(hostname);
    }
  }

  #drop(hostname: string): void {
    const entry = this.#entries.get(hostname);
    this.#entries.delete(hostname);
    if (entry?.route) {
      const hosts = this.#byContainer.get(entry.route.containerId);
      hosts?.delete(hostname);
      if (hosts?.size === 0) this.#byContainer.delete(entry.route.containerId);
    }
  }

  #dropAll(): void {
    this.#epoch++;
    this.#loading.clear();
    this.#entries.clear();
    this.#byContainer.clear();
    this.stats.resyncs++;
    for (const listener of this.#listeners) listener('all');
  }

  #apply(change: StoreChange): void {
    if (change.kind === 'revoked') return; // its routes were removed by their own change
    if (change.kind === 'resync') {
      this.#dropAll();
      return;
    }
    if (change.kind === 'liveness') {
      // A container came back online: its cached routes carry an old beat.
      for (const host of this.#byContainer.get(change.containerId) ?? []) {
        const entry = this.#entries.get(host);
        if (entry?.route) entry.route = { ...entry.route, lastWatchdog: change.lastWatchdog };
      }
      return;
    }
    this.stats.changes++;
    const gap = this.#version >= 0 && change.version > this.#version + 1;
    this.#version = Math.max(this.#version, change.version);
    if (gap) {
      this.#dropAll();
      return;
    }
    this.#epoch++;
    for (const host of change.hostnames) {
      const cached = this.#entries.get(host)?.route;
      this.#drop(host);
      // A load begun before the change may return the old route: later requests start a new one.
      this.#loading.delete(host);
      // A failed read is answered by the next request's own load.
      if (cached) this.#fetch(host, cached.containerId).catch(() => {});
    }
    for (const listener of this.#listeners) listener(change.hostnames);
  }
}
