/**
 * Containers coming online and going offline: one log line per transition across a pool of gateways,
 * and the `gateway_containers_online` gauge, without reading the whole store.
 *
 * Each gateway remembers the last watchdog it recorded per container (a Map: O(1) per watchdog).
 * Online: the store publishes a `liveness` change carrying the beat that brought a container back; the
 * gateway that recorded that very beat logs it. Offline: a sweep finds remembered beats older than
 * LIVENESS_TIMEOUT and asks the store for the container's last beat (one read per suspect); the gateway
 * whose beat is still the last one logs it, any other forgets the container (a newer beat went
 * elsewhere, or the container was removed). The gauge counts remembered beats younger than the timeout:
 * the containers whose watchdogs reach this gateway.
 */
import type { Logger } from '../log.ts';
import { family, type MetricsPart } from '../metrics/exposition.ts';
import type { Store } from '../store/store.ts';

/** Suspects asked about per sweep: a mass outage is worked through over several sweeps. */
const SUSPECTS_PER_SWEEP = 256;

interface Beat {
  at: number;
  /** The watchdog request's id, for the online line. */
  requestId: string | undefined;
}

export interface LivenessWatchDeps {
  store: Store;
  log: Logger;
  livenessTimeoutMs: number;
  now?: () => number;
}

export class LivenessWatch implements MetricsPart {
  readonly #beats = new Map<string, Beat>();
  readonly #deps: Required<LivenessWatchDeps>;
  #timer: ReturnType<typeof setInterval> | undefined;
  #unsubscribe: (() => Promise<void>) | undefined;
  #sweeping = false;

  constructor(deps: LivenessWatchDeps) {
    this.#deps = { now: Date.now, ...deps };
  }

  /** Subscribes to the change feed and starts sweeping (every quarter timeout, 0.25 to 5 s). */
  async start(): Promise<void> {
    this.#unsubscribe = await this.#deps.store.subscribe((change) => {
      if (change.kind !== 'liveness') return;
      const beat = this.#beats.get(change.containerId);
      if (beat?.at === change.lastWatchdog)
        this.#deps.log.info('container online', {
          containerId: change.containerId,
          requestId: beat.requestId,
        });
    });
    const every = Math.min(5_000, Math.max(250, this.#deps.livenessTimeoutMs / 4));
    this.#timer = setInterval(() => void this.sweep(), every);
    this.#timer.unref?.();
  }

  /**
   * A watchdog about to be recorded at `at` (before the store write, whose change message may come
   * first). Returns the undo for a write the store refused.
   */
  beat(containerId: string, at: number, requestId: string | undefined): () => void {
    const previous = this.#beats.get(containerId);
    const beat = { at, requestId };
    this.#beats.set(containerId, beat);
    return () => {
      if (this.#beats.get(containerId) !== beat) return;
      if (previous) this.#beats.set(containerId, previous);
      else this.#beats.delete(containerId);
    };
  }

  /** Asks the store about remembered beats older than the timeout; logs the offline ones that were ours. */
  async sweep(): Promise<void> {
    if (this.#sweeping) return;
    this.#sweeping = true;
    try {
      const { store, log, livenessTimeoutMs } = this.#deps;
      const now = this.#deps.now();
      const suspects: [string, Beat][] = [];
      for (const entry of this.#beats) {
        if (now - entry[1].at >= livenessTimeoutMs) suspects.push(entry);
        if (suspects.length >= SUSPECTS_PER_SWEEP) break;
      }
      await Promise.all(
        suspects.map(async ([containerId, beat]) => {
          // The store cannot say: keep the suspect and ask again at the next sweep.
          const last = await store.health(containerId).then(
            (h) => h.lastWatchdog,
            () => undefined,
          );
          if (last === undefined || this.#beats.get(containerId) !== beat) return;
          this.#beats.delete(containerId);
          if (last !== null && last <= beat.at)
            log.info('container offline', {
              containerId,
              lastWatchdog: new Date(beat.at).toISOString(),
              silentMs: this.#deps.now() - beat.at,
            });
        }),
      );
    } finally {
      this.#sweeping = false;
    }
  }

  /** Containers whose last watchdog reached this gateway less than LIVENESS_TIMEOUT ago. */
  online(): number {
    const since = this.#deps.now() - this.#deps.livenessTimeoutMs;
    let n = 0;
    for (const beat of this.#beats.values()) if (beat.at > since) n++;
    return n;
  }

  render(): string {
    return family(
      'gateway_containers_online',
      'gauge',
      'Containers whose last watchdog reached this gateway within LIVENESS_TIMEOUT.',
      [`gateway_containers_online ${this.online()}`],
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#unsubscribe?.();
  }
}
