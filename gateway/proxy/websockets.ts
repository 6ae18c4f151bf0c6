/**
 * Open proxied WebSockets, by hostname, so that a route change closes the ones it invalidates: a removed
 * route, another upstream or port, or a changed access level all end the connection.
 */
import type { RouteCache } from '../routes/route-cache.ts';
import type { Route } from '../store/store.ts';

export interface OpenWebSocket {
  route: Route;
  /** Epoch ms when the session that opened it ends: it is closed then. */
  expiresAt?: number;
  /**
   * Closes both sides (a WebSocket close frame "going away" to the client where possible); `reason` is
   * the close frame's reason where the runtime sends one (default: the route changed).
   */
  close(reason?: string): void;
}

const sameTarget = (a: Route, b: Route | null) =>
  b !== null &&
  a.containerId === b.containerId &&
  a.upstream === b.upstream &&
  a.port === b.port &&
  a.access === b.access &&
  a.service === b.service;

export class WebSocketRegistry {
  readonly #byHost = new Map<string, Set<OpenWebSocket>>();
  #count = 0;

  constructor(private readonly cache: RouteCache) {
    // Only hostnames whose route changed are rechecked: a reconcile after a store outage names just those.
    cache.onInvalidate((hosts) => void this.#recheck(hosts));
  }

  get size(): number {
    return this.#count;
  }

  add(ws: OpenWebSocket): () => void {
    let set = this.#byHost.get(ws.route.hostname);
    if (!set) {
      set = new Set();
      this.#byHost.set(ws.route.hostname, set);
    }
    set.add(ws);
    this.#count++;
    const expiry =
      ws.expiresAt === undefined
        ? undefined
        : setTimeout(() => ws.close(), Math.max(0, ws.expiresAt - Date.now()));
    expiry?.unref?.();
    return () => {
      clearTimeout(expiry);
      if (set.delete(ws)) this.#count--;
      if (set.size === 0 && this.#byHost.get(ws.route.hostname) === set)
        this.#byHost.delete(ws.route.hostname);
    };
  }

  /** Closes every open WebSocket of a container (revocation). */
  closeContainer(containerId: string): void {
    for (const set of this.#byHost.values())
      for (const ws of set) if (ws.route.containerId === containerId) ws.close();
  }

  /** Closes every open WebSocket with 1001 (Going Away): the gateway is draining. Returns how many. */
  closeAll(reason: string): number {
    const open = [...this.#byHost.values()].flatMap((set) => [...set]);
    for (const ws of open) ws.close(reason);
    return open.length;
  }

  async #recheck(hosts: readonly string[]): Promise<void> {
    for (const host of hosts) {
      const open = this.#byHost.get(host);
      if (!open || open.size === 0) continue;
      let current: Route | null;
      try {
        current = await this.cache.load(host);
      } catch {
        current = null; // fail closed: a route we cannot confirm keeps no WebSocket open
      }
      for (const ws of open) if (!sameTarget(ws.route, current)) ws.close();
    }
  }
}
