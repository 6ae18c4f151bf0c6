/** Reading cached routes again after the change feed may have missed messages (a reconnect, a gap). */
import type { ResolvedRoute, Route } from '../store/store.ts';

/** Whether two routes send a request to the same place under the same rules (liveness aside). */
export const sameRoute = (a: Route, b: Route): boolean =>
  a.containerId === b.containerId &&
  a.upstream === b.upstream &&
  a.port === b.port &&
  a.service === b.service &&
  a.access === b.access &&
  a.orgId === b.orgId &&
  a.projectId === b.projectId &&
  a.ownerId === b.ownerId;

/**
 * Reads every hostname again, at most `limit` reads at a time, each with the container it belonged to as
 * the hint (one round trip when it still does). Rejects at the first failed read; the others stop.
 */
export async function rereadRoutes(
  cached: ReadonlyMap<string, ResolvedRoute>,
  read: (hostname: string, containerHint: string) => Promise<ResolvedRoute | null>,
  limit: number,
): Promise<Map<string, ResolvedRoute | null>> {
  const hosts = [...cached.keys()];
  const fresh = new Map<string, ResolvedRoute | null>();
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < hosts.length) {
      const host = hosts[next++] as string;
      try {
        fresh.set(host, await read(host, (cached.get(host) as ResolvedRoute).containerId));
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, hosts.length) }, worker));
  return fresh;
}

/**
 * Runs a reconcile now, or once more after the one running (asked again meanwhile); one that fails is
 * tried again after `retryMs`, until it succeeds or the schedule stops.
 */
export class ReconcileSchedule {
  #running = false;
  #again = false;
  #retry: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(
    private readonly reconcile: () => Promise<void>,
    private readonly retryMs: number,
  ) {}

  request(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    clearTimeout(this.#retry);
    this.reconcile().then(
      () => {
        this.#running = false;
        if (!this.#again) return;
        this.#again = false;
        this.request();
      },
      () => {
        this.#running = false;
        this.#again = false;
        this.#retry = setTimeout(() => this.request(), this.retryMs);
        this.#retry.unref?.();
      },
    );
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
  }
}
