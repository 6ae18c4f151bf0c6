/**
 * Per-container time of the last real proxied traffic, kept in memory (one Map.set per request) and
 * flushed to the store in batches, for idle culling.
 */
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';

export class ActivityTracker {
  #pending = new Map<string, number>();
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The last flush failed (the warning was logged). */
  #failing = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  touch(containerId: string): void {
    this.#pending.set(containerId, this.now());
  }

  /** Starts the periodic flush (default about every 30 s). */
  start(intervalMs = 30_000): void {
    this.#timer = setInterval(() => void this.flush(), intervalMs);
    this.#timer.unref?.();
  }

  async flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    try {
      await this.store.recordActivity(batch);
      this.#failing = false;
    } catch {
      // Keep the batch for the next flush (newer times win).
      for (const [cid, at] of batch) if (!this.#pending.has(cid)) this.#pending.set(cid, at);
      // One line per outage, not one per flush: the store's health says when it is back.
      if (!this.#failing)
        this.log.warn('activity flush failed; keeping the times', { containers: batch.size });
      this.#failing = true;
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }
}
