/**
 * The proxy's in-process route table: exact Host -> route, filled from the store on a miss and kept
 * fresh by the store's change feed (a `routes` message drops the named hostnames at once, and a load
 * begun before it is no longer joined). A hostname that was cached with a route is read again at once,
 * so the next request after a change is usually a hit. A short TTL guards against a missed message, and
 * after a reconnect or a version gap the cache reconciles: it keeps serving, reads the cached hostnames
 * again and drops only those that changed. A hit never touches the store.
 *
 * Stale-if-error: a route the store confirmed less than `staleMaxMs` ago is served past its TTL when the
 * store cannot answer, and while the store is known to be down it is served without asking it at all.
 */
import { type Logger, silentLogger } from '../log.ts';
import { type ResolvedRoute, type Store, type StoreChange, StoreUnavailableError } from '../store/store.ts';
import { ReconcileSchedule, rereadRoutes, sameRoute } from './reconcile.ts';

export interface RouteCacheOptions {
  /** How long a found route is trusted without a change message. */
  ttlMs: number;
  /** How long "no such hostname" is remembered (unknown hosts are cheap to ask for again). */
  negativeTtlMs: number;
  /** Bound on cached hostnames; the oldest entries go first. */
  maxEntries: number;
  /** How long after the store last confirmed it a route is served while the store cannot answer. */
  staleMaxMs?: number;
  /** Whether the store is known to be unreachable (then it is not asked at all). */
  storeDown?: () => boolean;
  /** For the one "store reconciled" line per reconcile. */
  log?: Logger;
  /** Store reads at a time while reconciling. */
  reconcileConcurrency?: number;
  /** Pause before a reconcile that could not finish is tried again. */
  reconcileRetryMs?: number;
  now?: () => number;
}

interface Entry {
  route: ResolvedRoute | null;
  expiresAt: number;
  /** When the store last said so. */
  confirmedAt: number;
}

export interface RouteCacheStats {
  hits: number;
  misses: number;
  changes: number;
  /** Reconciles done (after a reconnect or a version gap). */
  resyncs: number;
  /** Answers given from a route past its TTL because the store could not be asked. */
  stale: number;
}

export class RouteCache {
  readonly #store: Store;
  readonly #opts: Required<RouteCacheOptions>;
  readonly #entries = new Map<string, Entry>();
  readonly #byContainer = new Map<string, Set<string>>();
  readonly #loading = new Map<string, Promise<ResolvedRoute | null>>();
  readonly #listeners = new Set<(hostnames: readonly string[]) => void>();
  #version = -1;
  /** Bumped on every invalidation, so a load that raced with one does not store its stale answer. */
  #epoch = 0;
  readonly stats: RouteCacheStats = { hits: 0, misses: 0, changes: 0, resyncs: 0, stale: 0 };
  #unsubscribe: (() => Promise<void>) | undefined;
  readonly #reconciles: ReconcileSchedule;
  /** The feed may have missed messages: the next reconcile reads every cached route again. */
  #missed = false;

  constructor(store: Store, options: RouteCacheOptions) {
    this.#store = store;
    this.#opts = {
      now: Date.now,
      staleMaxMs: 0,
      storeDown: () => false,
      log: silentLogger,
      reconcileConcurrency: 16,
      reconcileRetryMs: 1_000,
      ...options,
    };
    this.#reconciles = new ReconcileSchedule(() => this.#reconcile(), this.#opts.reconcileRetryMs);
  }

  /** Subscribes to the change feed; call once before serving. */
  async start(): Promise<void> {
    this.#unsubscribe = await this.#store.subscribe((change) => this.#apply(change));
    this.#version = await this.#store.routesVersion();
  }

  async stop(): Promise<void> {
    this.#reconciles.stop();
    await this.#unsubscribe?.();
    this.#entries.clear();
    this.#byContainer.clear();
  }

  /** Called with the hostnames whose routes changed, after the cache dropped them. */
  onInvalidate(listener: (hostnames: readonly string[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The cached answer for a hostname, or undefined when the store must be asked (see `load`). */
  peek(hostname: string): ResolvedRoute | null | undefined {
    const entry = this.#entries.get(hostname);
    if (entry === undefined) return undefined;
    const now = this.#opts.now();
    if (entry.expiresAt > now) {
      this.stats.hits++;
      return entry.route;
    }
    if (entry.route !== null && now - entry.confirmedAt < this.#opts.staleMaxMs && this.#opts.storeDown()) {
      this.stats.hits++;
      this.stats.stale++;
      return entry.route;
    }
    return undefined;
  }

  /**
   * Asks the store (one request per hostname at a time) and caches the answer. When the store cannot
   * answer, a route it confirmed within `staleMaxMs` is the answer; without one the load fails
   * (StoreUnavailableError), at once while the store is known to be down.
   */
  load(hostname: string): Promise<ResolvedRoute | null> {
    this.stats.misses++;
    const loading = this.#loading.get(hostname);
    if (loading) return loading;
    if (this.#opts.storeDown()) {
      const stale = this.#stale(hostname);
      return stale ? Promise.resolve(stale) : Promise.reject(new StoreUnavailableError('disconnected'));
    }
    return this.#fetch(hostname, undefined);
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
        const stale = epoch === this.#epoch ? this.#stale(hostname) : undefined;
        if (stale === undefined) throw err;
        return stale;
      },
    );
    this.#loading.set(hostname, promise);
    return promise;
  }

  /**
   * The cached route of a hostname, when the store confirmed it within `staleMaxMs`. The store is asked
   * again only after the negative TTL: requests meanwhile are answered from memory.
   */
  #stale(hostname: string): ResolvedRoute | undefined {
    const entry = this.#entries.get(hostname);
    const now = this.#opts.now();
    if (!entry?.route || now - entry.confirmedAt >= this.#opts.staleMaxMs) return undefined;
    entry.expiresAt = Math.max(entry.expiresAt, now + this.#opts.negativeTtlMs);
    this.stats.stale++;
    return entry.route;
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
    const now = this.#opts.now();
    this.#entries.set(hostname, { route, expiresAt: now + ttl, confirmedAt: now });
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

  #invalidated(hostnames: readonly string[]): void {
    for (const listener of this.#listeners) listener(hostnames);
  }

  #apply(change: StoreChange): void {
    // A revocation's routes were removed by their own change; pool changes never touch routes.
    if (change.kind === 'revoked' || change.kind === 'location' || change.kind === 'pool') return;
    if (change.kind === 'resync') {
      this.#reconciles.request();
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
    // Versions are consecutive: a gap means messages were missed.
    if (this.#version >= 0 && change.version > this.#version + 1) this.#missed = true;
    this.#version = Math.max(this.#version, change.version);
    this.#epoch++;
    for (const host of change.hostnames) {
      const cached = this.#entries.get(host)?.route;
      this.#drop(host);
      // A load begun before the change may return the old route: later requests start a new one.
      this.#loading.delete(host);
      // A failed read is answered by the next request's own load.
      if (cached) this.#fetch(host, cached.containerId).catch(() => {});
    }
    this.#invalidated(change.hostnames);
    if (this.#missed) this.#reconciles.request();
  }

  /**
   * Compares the store's route-table version with the last one seen: when messages may have been missed
   * (another version, or a gap), reads every cached route again and drops only those that changed. The
   * cache keeps serving meanwhile.
   */
  async #reconcile(): Promise<void> {
    const from = this.#version;
    const to = await this.#store.routesVersion();
    // Lower than seen: the store lost its data (restarted without persistence); follow it.
    this.#version = to < from ? to : Math.max(this.#version, to);
    this.#missed ||= to !== from;
    let checked = 0;
    const changed: string[] = [];
    if (this.#missed) {
      const cached = new Map<string, ResolvedRoute>();
      const entries = new Map<string, Entry>();
      for (const [host, entry] of this.#entries) {
        if (entry.route === null)
          this.#drop(host); // a hostname unknown then may exist now
        else {
          cached.set(host, entry.route);
          entries.set(host, entry);
        }
      }
      const fresh = await rereadRoutes(
        cached,
        (host, hint) => this.#store.resolve(host, hint),
        this.#opts.reconcileConcurrency,
      );
      const now = this.#opts.now();
      for (const [host, route] of fresh) {
        const entry = entries.get(host) as Entry;
        if (this.#entries.get(host) !== entry) continue; // a change message dealt with it meanwhile
        if (route !== null && entry.route !== null && sameRoute(route, entry.route)) {
          entry.route = route;
          entry.expiresAt = Math.max(entry.expiresAt, now + this.#opts.ttlMs);
          entry.confirmedAt = now;
          continue;
        }
        this.#drop(host);
        if (route !== null) this.#put(host, route);
        changed.push(host);
      }
      checked = fresh.size;
      this.#missed = false;
      if (changed.length > 0) {
        this.#epoch++;
        this.#invalidated(changed);
      }
    }
    this.stats.resyncs++;
    this.#opts.log.info('store reconciled', { from, to, checked, changed: changed.length });
  }
}
