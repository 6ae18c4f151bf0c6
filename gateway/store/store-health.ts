/**
 * The store's health as callers see it: `up`, `degraded` (some commands fail) or `down` (it cannot be
 * reached), from every command's outcome and a cheap periodic check under the same deadline. One log
 * line per transition; `/readyz` and the proxy read the state without waiting on the store.
 */
import type { Logger } from '../log.ts';
import { type StoreFailureReason, type StoreObserver, StoreUnavailableError } from './store.ts';
import { StoreMetrics } from './store-metrics.ts';

export type StoreState = 'up' | 'degraded' | 'down';

export interface StoreHealthOptions {
  /** Failed commands in a row that make the store down (a dropped connection does at once). */
  downAfter?: number;
  /** Pause between two checks (each a PING under the command deadline). */
  checkIntervalMs?: number;
  now?: () => number;
}

type Listener = (state: StoreState, previous: StoreState, awaySince: number) => void;

export class StoreHealth implements StoreObserver {
  readonly metrics = new StoreMetrics();
  readonly #log: Logger;
  readonly #downAfter: number;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #listeners = new Set<Listener>();
  #state: StoreState = 'up';
  /** When the store last left `up`, and why. */
  #awaySince = 0;
  #reason: StoreFailureReason = 'timeout';
  #failuresInARow = 0;
  #failedSinceCheck = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(log: Logger, options: StoreHealthOptions = {}) {
    this.#log = log;
    this.#downAfter = options.downAfter ?? 3;
    this.#intervalMs = options.checkIntervalMs ?? 1_000;
    this.#now = options.now ?? Date.now;
  }

  get state(): StoreState {
    return this.#state;
  }

  /** The store is known to be unreachable: callers answer without asking it. */
  get down(): boolean {
    return this.#state === 'down';
  }

  /** Called with each transition, and when the store left `up`. */
  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  succeeded(ms?: number): void {
    if (ms !== undefined) this.metrics.latency(ms);
    this.#failuresInARow = 0;
    // A degraded store is back only after a check interval without failures (no flapping lines).
    if (this.#state === 'down') this.#become('up');
  }

  failed(reason: StoreFailureReason, ms?: number): void {
    if (ms !== undefined) this.metrics.latency(ms);
    this.metrics.failure(reason);
    this.#failedSinceCheck = true;
    this.#failuresInARow++;
    const unreachable =
      ms === undefined ||
      reason === 'disconnected' ||
      reason === 'refused' ||
      reason === 'auth' ||
      this.#failuresInARow >= this.#downAfter;
    if (unreachable) this.#become('down', reason);
    else if (this.#state === 'up') this.#become('degraded', reason);
  }

  /** One check: a store that fails it is down; a degraded one that passes it after a clean interval is back. */
  async check(ping: () => Promise<void>): Promise<void> {
    const clean = !this.#failedSinceCheck;
    this.#failedSinceCheck = false;
    const started = performance.now();
    try {
      await ping();
    } catch (err) {
      const reason = err instanceof StoreUnavailableError ? err.reason : 'server_error';
      this.metrics.latency(performance.now() - started);
      this.metrics.failure(reason);
      this.#failedSinceCheck = true;
      this.#become('down', reason);
      return;
    }
    this.succeeded(performance.now() - started);
    if (this.#state === 'degraded' && clean && !this.#failedSinceCheck) this.#become('up');
  }

  /** Checks the store every interval (the next check starts when the previous one ended). */
  start(ping: () => Promise<void>): void {
    const tick = () => {
      this.#timer = setTimeout(
        () => void this.check(ping).finally(() => this.#stopped || tick()),
        this.#intervalMs,
      );
      this.#timer.unref?.();
    };
    tick();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  render(): string {
    const states: StoreState[] = ['up', 'degraded', 'down'];
    return [
      '# HELP gateway_store_up 1 while the store answers (up or degraded), 0 while it cannot be reached.',
      '# TYPE gateway_store_up gauge',
      `gateway_store_up ${this.#state === 'down' ? 0 : 1}`,
      '# HELP gateway_store_state The store state: 1 for the current one of up, degraded, down.',
      '# TYPE gateway_store_state gauge',
      ...states.map((s) => `gateway_store_state{state="${s}"} ${s === this.#state ? 1 : 0}`),
      this.metrics.render(),
    ].join('\n');
  }

  #become(state: StoreState, reason?: StoreFailureReason): void {
    const previous = this.#state;
    if (state === previous) return;
    const now = this.#now();
    if (previous === 'up') this.#awaySince = now;
    if (reason) this.#reason = reason;
    this.#state = state;
    if (state === 'up')
      this.#log.info('store back', { reason: this.#reason, awayMs: now - this.#awaySince, from: previous });
    else this.#log.warn(`store ${state}`, { reason: this.#reason, from: previous });
    for (const listener of this.#listeners) listener(state, previous, this.#awaySince);
  }
}
