/**
 * The agent's retry policy for registrations and watchdog beats (images/agent/refresh-loop.ts), with fake
 * timers: a reset is retried at once on a fresh connection, a refusal to connect, a timeout or a 503 with
 * back-off capped at the period, a refusal by the gateway (4xx) only at the next period.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createBackoff } from '../../images/agent/backoff.ts';
import { answerFailure, EventPostError, fetchFailure } from '../../images/agent/event-failure.ts';
import type { PostOptions } from '../../images/agent/gateway-client.ts';
import { createRefreshLoop, type RoundOutcome } from '../../images/agent/refresh-loop.ts';
import { createServiceRegistrar, type ServiceSpec } from '../../images/agent/services.ts';
import { startWatchdog } from '../../images/agent/watchdog.ts';
import type { EventBody } from '../../shared/protocol.ts';
import type { SystemStats } from '../../shared/system-stats.ts';

const WEB: ServiceSpec = { name: 'web', port: 8080, primary: true, access: 'project' };
const STATS: SystemStats = {
  cpu: { load: [0, 0, 0], count: 1, threadsPerCore: 1, model: 'cpu' },
  memory: { availableMb: 1, totalMb: 2 },
  disk: { sizeBytes: 1, usedPercent: 1 },
  network: { pingMs: null },
  gpus: [],
};
const reset = () =>
  fetchFailure(Object.assign(new TypeError('The socket connection was closed'), { code: 'ECONNRESET' }));
const refused = () =>
  fetchFailure(Object.assign(new TypeError('Unable to connect'), { code: 'ECONNREFUSED' }));

/** A post that fails with the queued failures, in order, then succeeds; records when and how it was called. */
function scriptedPost(failures: (() => Error)[]) {
  const calls: { at: number; fresh: boolean }[] = [];
  const post = async (_body: EventBody, options?: PostOptions) => {
    calls.push({ at: Date.now(), fresh: options?.freshConnection === true });
    const failure = failures.shift();
    if (failure) throw failure();
  };
  return { calls, post };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('event failures', () => {
  it('are typed from what fetch threw on Bun (code) and on Node (cause.code), and from the status', () => {
    expect(reset().kind).toBe('reset');
    expect(fetchFailure(new TypeError('fetch failed', { cause: { code: 'UND_ERR_SOCKET' } })).kind).toBe(
      'reset',
    );
    expect(fetchFailure(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })).kind).toBe(
      'refused',
    );
    expect(fetchFailure(new DOMException('timed out', 'TimeoutError')).kind).toBe('timeout');
    expect(fetchFailure(new TypeError('getaddrinfo ENOTFOUND x')).kind).toBe('network');
    expect([502, 503, 504].map((s) => answerFailure(s).kind)).toEqual([
      'unavailable',
      'unavailable',
      'unavailable',
    ]);
    expect([400, 401, 403, 409, 500].map((s) => answerFailure(s).retryable)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    for (const e of [reset(), refused(), answerFailure(503)]) expect(e).toBeInstanceOf(EventPostError);
  });
});

describe('the registrar after a gateway restart', () => {
  it('retries a reset at once on a fresh connection, then keeps the 15 s period from the first attempt', async () => {
    const { calls, post } = scriptedPost([reset]);
    const registrar = createServiceRegistrar({ services: [WEB], projectId: 'p', post, log: () => {} });
    await registrar.registerNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toEqual([
      { at: 0, fresh: false },
      { at: 0, fresh: true },
    ]);
    await vi.advanceTimersByTimeAsync(14_999);
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls[2]).toEqual({ at: 15_000, fresh: false });
    registrar.pause();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('retries a refused connection within a second or two, not at the next 15 s refresh', async () => {
    const { calls, post } = scriptedPost([refused, refused]);
    const logged: string[] = [];
    const registrar = createServiceRegistrar({
      services: [WEB],
      projectId: 'p',
      post,
      log: (_level, message, fields) => logged.push(`${message} ${fields?.failure ?? fields?.delayMs ?? ''}`),
    });
    await registrar.registerNow();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(calls).toHaveLength(3);
    const [first = 0, second = 0, third = 0] = calls.map((c) => c.at);
    // Back-off with up to 25 % jitter taken off: 1 s, then 2 s.
    expect(second - first).toBeGreaterThanOrEqual(750);
    expect(second - first).toBeLessThanOrEqual(1_000);
    expect(third - second).toBeGreaterThanOrEqual(1_500);
    expect(third - second).toBeLessThanOrEqual(2_000);
    expect(calls.map((c) => c.fresh)).toEqual([false, true, true]);
    expect(logged[0]).toBe('service registration failed refused');
    expect(logged[1]).toMatch(/^retry scheduled \d+$/);
    registrar.pause();
  });

  it('retries a 503 (store down) with back-off, and a 401 only at the next refresh', async () => {
    const unavailable = scriptedPost([() => answerFailure(503)]);
    const a = createServiceRegistrar({
      services: [WEB],
      projectId: 'p',
      post: unavailable.post,
      log: () => {},
    });
    await a.registerNow();
    await vi.advanceTimersByTimeAsync(0);
    expect(unavailable.calls).toHaveLength(1); // not at once: the gateway answered, it is busy
    await vi.advanceTimersByTimeAsync(1_000);
    expect(unavailable.calls).toHaveLength(2);
    a.pause();

    const refusedByGateway = scriptedPost([() => answerFailure(401)]);
    const b = createServiceRegistrar({
      services: [WEB],
      projectId: 'p',
      post: refusedByGateway.post,
      log: () => {},
    });
    await b.registerNow();
    await vi.advanceTimersByTimeAsync(14_999);
    expect(refusedByGateway.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(refusedByGateway.calls).toHaveLength(2);
    b.pause();
  });

  it('registers again at once on tunnel up, dropping a pending retry and its back-off', async () => {
    const { calls, post } = scriptedPost([refused, refused, refused, refused]);
    const registrar = createServiceRegistrar({ services: [WEB], projectId: 'p', post, log: () => {} });
    await registrar.registerNow();
    await vi.advanceTimersByTimeAsync(3_000); // attempts at 0, ~1 s, ~3 s: the next one ~4 s later
    expect(calls).toHaveLength(3);
    await registrar.registerNow(); // fails (the fourth queued failure): back-off starts again from 1 s
    expect(calls).toHaveLength(4);
    expect(calls[3]?.fresh).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toHaveLength(5);
    expect(vi.getTimerCount()).toBe(1);
    registrar.pause();
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('the refresh loop against a dead gateway', () => {
  it('backs off 1, 2, 4, 8 s, then tries once per period: bounded, never a hot loop', async () => {
    const at: number[] = [];
    const loop = createRefreshLoop(
      async (): Promise<RoundOutcome> => {
        at.push(Date.now());
        return at.length === 1 ? 'reset' : 'retry';
      },
      {
        task: 't',
        intervalMs: 15_000,
        log: () => {},
        backoff: createBackoff({ maxMs: 15_000, random: () => 0 }),
      },
    );
    await loop.runNow();
    await vi.advanceTimersByTimeAsync(120_000);
    const gaps = at.slice(1).map((t, i) => t - (at[i] ?? 0));
    // A reset first (at once), then everything refused.
    expect(gaps.slice(0, 6)).toEqual([0, 1_000, 2_000, 4_000, 8_000, 15_000]);
    expect(new Set(gaps.slice(5))).toEqual(new Set([15_000]));
    expect(at.length).toBeLessThanOrEqual(13);
    loop.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('starts again from 1 s after a success', async () => {
    const outcomes: RoundOutcome[] = ['retry', 'retry', 'retry', 'ok', 'retry', 'ok'];
    const at: number[] = [];
    const loop = createRefreshLoop(
      async () => {
        at.push(Date.now());
        return outcomes.shift() ?? 'ok';
      },
      {
        task: 't',
        intervalMs: 15_000,
        log: () => {},
        backoff: createBackoff({ maxMs: 15_000, random: () => 0 }),
      },
    );
    await loop.runNow();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(at).toEqual([0, 1_000, 3_000, 7_000, 22_000, 23_000]);
    loop.stop();
  });
});

describe('the watchdog after a gateway restart', () => {
  it('retries a refused beat with back-off on a fresh connection', async () => {
    const { calls, post } = scriptedPost([refused]);
    const watchdog = startWatchdog({
      projectId: 'p',
      readStats: async () => STATS,
      measureRoundTrip: async () => null,
      post,
      log: () => {},
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.fresh).toBe(true);
    expect(calls[1]?.at).toBeGreaterThanOrEqual(750);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(calls).toHaveLength(3); // back to the period
    watchdog.stop();
    expect(vi.getTimerCount()).toBe(0);
  });
});
