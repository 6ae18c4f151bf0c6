/**
 * Container locations from this gateway's OpenVPN (issue 16, point 3): a client established records
 * that this gateway holds the container's tunnel (commonName = container id), with the pool-wide epoch
 * the store returns, remembered per OpenVPN client id; its disconnect clears the location with that
 * epoch, so a late disconnect never clears the container's newer connect elsewhere. VpnManager calls
 * in through `VpnClientObserver`; it does not import the pool.
 */
import type { Logger } from '../log.ts';
import { family, type MetricsPart, sample } from '../metrics/exposition.ts';
import type { PoolStateStore } from './pool-state.ts';

/** What VpnManager tells about its OpenVPN's clients. */
export interface VpnClientObserver {
  established(clientId: number, containerId: string): void;
  disconnected(clientId: number, containerId: string): void;
  /**
   * A new OpenVPN run is ready: the previous run's clients are gone, and client ids start again.
   * `current`: the new run's clients already established (kept).
   */
  restarted(current: readonly { cid: number; commonName: string }[]): void;
}

interface Held {
  containerId: string;
  /** The epoch of this gateway's location, or null while it could not be recorded (store down). */
  epoch: number | null;
}

export interface LocationsOptions {
  state: PoolStateStore;
  gatewayId: string;
  log: Logger;
  now?: () => number;
}

export class Locations implements VpnClientObserver, MetricsPart {
  readonly #o: LocationsOptions;
  readonly #now: () => number;
  /** OpenVPN client id -> the container and its location's epoch. */
  readonly #held = new Map<number, Held>();
  /** Store writes in order (an established's epoch is known before its disconnect is cleared). */
  #queue: Promise<void> = Promise.resolve();
  #failing = false;

  constructor(options: LocationsOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  established(clientId: number, containerId: string): void {
    // An id still held belongs to a previous OpenVPN run (ids start again): that client is gone.
    const previous = this.#held.get(clientId);
    if (previous) void this.#enqueue(() => this.#clear(previous));
    const held: Held = { containerId, epoch: null };
    this.#held.set(clientId, held);
    void this.#enqueue(() => this.#record(held));
  }

  disconnected(clientId: number, containerId: string): void {
    const held = this.#held.get(clientId);
    if (!held || held.containerId !== containerId) return;
    this.#held.delete(clientId);
    void this.#enqueue(() => this.#clear(held));
  }

  restarted(current: readonly { cid: number; commonName: string }[]): void {
    for (const [clientId, held] of [...this.#held]) {
      if (current.some((c) => c.cid === clientId && c.commonName === held.containerId)) continue;
      this.#held.delete(clientId);
      void this.#enqueue(() => this.#clear(held));
    }
  }

  /** Records every held tunnel again (this gateway joined again after peers had declared it dead). */
  reassert(): Promise<void> {
    return this.#enqueue(async () => {
      for (const held of this.#held.values()) await this.#record(held);
    });
  }

  /** Records the tunnels whose location could not be written (the store was down). */
  retryPending(): Promise<void> {
    return this.#enqueue(async () => {
      for (const held of this.#held.values()) if (held.epoch === null) await this.#record(held);
    });
  }

  /** Clears every location this gateway recorded (a clean stop; each only while still ours). */
  async clearAll(): Promise<void> {
    this.restarted([]);
    await this.#queue;
  }

  /** Containers whose tunnel this gateway holds and recorded. */
  count(): number {
    const recorded = new Set<string>();
    for (const held of this.#held.values()) if (held.epoch !== null) recorded.add(held.containerId);
    return recorded.size;
  }

  render(): string {
    return family(
      'gateway_pool_located_containers',
      'gauge',
      "Containers whose tunnel this gateway holds, as recorded in the pool's locations.",
      [sample('gateway_pool_located_containers', {}, this.count())],
    );
  }

  #enqueue(step: () => Promise<void>): Promise<void> {
    this.#queue = this.#queue.then(step, step);
    return this.#queue;
  }

  async #record(held: Held): Promise<void> {
    try {
      held.epoch = await this.#o.state.setLocation(held.containerId, this.#o.gatewayId, this.#now());
      this.#recovered();
    } catch (err) {
      held.epoch = null;
      this.#failed('could not record a location', held.containerId, err);
    }
  }

  async #clear(held: Held): Promise<void> {
    if (held.epoch === null) return;
    try {
      await this.#o.state.clearLocation(held.containerId, this.#o.gatewayId, held.epoch);
      this.#recovered();
    } catch (err) {
      // Left in the store: a peer drops it if this gateway dies, its next connect anywhere replaces it.
      this.#failed('could not clear a location', held.containerId, err);
    }
  }

  #failed(msg: string, containerId: string, err: unknown): void {
    if (this.#failing) return;
    this.#failing = true;
    this.#o.log.warn(msg, { containerId, code: (err as { code?: string }).code ?? 'unknown' });
  }

  #recovered(): void {
    this.#failing = false;
  }
}
