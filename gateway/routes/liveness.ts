import type { StoreHealth } from '../store/store-health.ts';

/** A container is online while its last watchdog is younger than the liveness timeout. */
export function isOnline(lastWatchdog: number | null, now: number, livenessTimeoutMs: number): boolean {
  return lastWatchdog !== null && now - lastWatchdog < livenessTimeoutMs;
}

/**
 * The time liveness is judged at. While the store is down, watchdogs cannot be recorded, so the clock
 * stops when the store went away: a container online then stays online (the route cache bounds how long,
 * ROUTE_STALE_MAX). Once the store is back the clock runs again behind real time by the outage, until
 * containers have had a full liveness timeout to beat again.
 */
export class LivenessClock {
  readonly timeoutMs: number;
  readonly #now: () => number;
  /** When the store went away (undefined: no outage in the last liveness timeout). */
  #awaySince: number | undefined;
  /** When it came back (undefined while it is still away). */
  #backAt: number | undefined;

  constructor(timeoutMs: number, now: () => number = Date.now) {
    this.timeoutMs = timeoutMs;
    this.#now = now;
  }

  /** The store became unreachable; it was last known well at `since`. */
  storeAway(since: number): void {
    this.#awaySince = since;
    this.#backAt = undefined;
  }

  storeBack(at: number = this.#now()): void {
    if (this.#awaySince !== undefined) this.#backAt = at;
  }

  now(): number {
    const now = this.#now();
    const away = this.#awaySince;
    if (away === undefined) return now;
    const back = this.#backAt;
    if (back === undefined) return Math.min(now, away);
    if (now - back < this.timeoutMs) return now - (back - away);
    this.#awaySince = undefined;
    return now;
  }

  /** Stops while `health` says the store is down, from when it left `up`; runs again once it is back. */
  follow(health: StoreHealth): () => void {
    return health.onChange((state, previous, awaySince) => {
      if (state === 'down') this.storeAway(awaySince);
      else if (previous === 'down') this.storeBack();
    });
  }

  online(lastWatchdog: number | null): boolean {
    return isOnline(lastWatchdog, this.now(), this.timeoutMs);
  }
}
