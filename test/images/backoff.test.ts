import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BACKOFF_MAX_MS, createBackoff, sleep } from '../../images/agent/backoff.ts';

describe('createBackoff', () => {
  it('starts at 1 s and doubles up to the 60 s cap (no jitter at random() = 0)', () => {
    const backoff = createBackoff({ random: () => 0 });
    const delays = Array.from({ length: 9 }, () => backoff.next());
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    expect(backoff.attempts).toBe(9);
  });

  it('takes at most a quarter off each delay, and never goes above the cap', () => {
    const backoff = createBackoff({ random: () => 0.999999 });
    const delays = Array.from({ length: 8 }, () => backoff.next());
    expect(delays[0]).toBe(750);
    expect(delays[6]).toBe(45000);
    for (const [i, delay] of delays.entries()) {
      const base = Math.min(1000 * 2 ** i, BACKOFF_MAX_MS);
      expect(delay).toBeGreaterThanOrEqual(base * 0.75);
      expect(delay).toBeLessThanOrEqual(base);
    }
  });

  it('keeps every delay within its bounds with the real random source', () => {
    const backoff = createBackoff();
    for (let i = 0; i < 200; i++) {
      const base = Math.min(1000 * 2 ** i, BACKOFF_MAX_MS);
      const delay = backoff.next();
      expect(delay).toBeGreaterThanOrEqual(Math.floor(base * 0.75));
      expect(delay).toBeLessThanOrEqual(base);
    }
  });

  it('starts again from 1 s after a success', () => {
    const backoff = createBackoff({ random: () => 0 });
    backoff.next();
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.attempts).toBe(0);
    expect(backoff.next()).toBe(1000);
  });

  it('refuses nonsense options', () => {
    expect(() => createBackoff({ initialMs: 0 })).toThrow(RangeError);
    expect(() => createBackoff({ initialMs: 10, maxMs: 5 })).toThrow(RangeError);
    expect(() => createBackoff({ jitter: 1 })).toThrow(RangeError);
  });
});

describe('back-off delays with fake timers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('waits exactly the delay the back-off gives, never less', async () => {
    const backoff = createBackoff({ random: () => 0 });
    const woke: number[] = [];
    const started = Date.now();
    const loop = (async () => {
      for (let i = 0; i < 4; i++) {
        await sleep(backoff.next());
        woke.push(Date.now() - started);
      }
    })();
    await vi.advanceTimersByTimeAsync(999);
    expect(woke).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(woke).toEqual([1000]);
    await vi.advanceTimersByTimeAsync(1999);
    expect(woke).toEqual([1000]);
    await vi.advanceTimersByTimeAsync(1 + 4000 + 8000);
    await loop;
    expect(woke).toEqual([1000, 3000, 7000, 15000]);
  });

  it('sleep ends at once when the signal aborts', async () => {
    const controller = new AbortController();
    let done = false;
    const waiting = sleep(60_000, controller.signal).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(10);
    expect(done).toBe(false);
    controller.abort();
    await waiting;
    expect(done).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
