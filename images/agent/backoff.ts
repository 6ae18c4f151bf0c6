/** Exponential back-off with jitter for reconnects: 1 s doubling to a 60 s cap, never a hot loop. */

export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** Fraction of each delay taken off at random, so many containers do not reconnect in step. */
  jitter?: number;
  random?: () => number;
}

export interface Backoff {
  /** The delay before the next attempt; each call doubles the base up to the cap. */
  next(): number;
  /** After a success the next failure starts again from the initial delay. */
  reset(): void;
  readonly attempts: number;
}

export const BACKOFF_INITIAL_MS = 1_000;
export const BACKOFF_MAX_MS = 60_000;
export const BACKOFF_JITTER = 0.25;

/** A back-off whose n-th delay lies in [base·(1-jitter), base], base = min(initial·2^n, max). */
export function createBackoff(options: BackoffOptions = {}): Backoff {
  const initial = options.initialMs ?? BACKOFF_INITIAL_MS;
  const max = options.maxMs ?? BACKOFF_MAX_MS;
  const jitter = options.jitter ?? BACKOFF_JITTER;
  const random = options.random ?? Math.random;
  if (!(initial > 0 && max >= initial && jitter >= 0 && jitter < 1))
    throw new RangeError('back-off needs 0 < initial <= max and 0 <= jitter < 1');
  let attempts = 0;
  return {
    next() {
      const base = Math.min(initial * 2 ** Math.min(attempts, 30), max);
      attempts += 1;
      return Math.round(base * (1 - jitter * random()));
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}

/** Waits `ms`, or less when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
