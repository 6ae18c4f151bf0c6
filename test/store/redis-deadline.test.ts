/**
 * The Redis store's deadline (STORE_TIMEOUT) against a real redis-server that dies, hangs and restarts:
 * every command answers or fails with GW_ERR_STORE_UNAVAILABLE within about the deadline, and a write
 * whose caller was told it failed is never sent again after a reconnect.
 */
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../gateway/store/redis.ts';
import { type StoreFailureReason, StoreUnavailableError } from '../../gateway/store/store.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { host, reg, svc } from './contract.ts';

const DEADLINE = 300;

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis({ persistent: true });
});
afterAll(async () => {
  await redis?.stop();
});

/** A store with a short deadline whose observer records every outcome. */
function observedStore() {
  const outcomes: (StoreFailureReason | 'ok')[] = [];
  const store = new RedisStore(redis.url, {
    timeoutMs: DEADLINE,
    observer: { succeeded: () => outcomes.push('ok'), failed: (reason) => outcomes.push(reason) },
  });
  return { store, outcomes };
}

/** How a call ended and how long it took. */
async function timed(call: () => Promise<unknown>) {
  const started = Date.now();
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, ms: Date.now() - started };
}

const stores: RedisStore[] = [];
afterEach(async () => {
  redis.resume();
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

describe('RedisStore deadline', () => {
  it('fails a command to a hung server (SIGSTOP) within the deadline, and answers again once it resumes', async () => {
    const { store, outcomes } = observedStore();
    stores.push(store);
    await store.ping();
    redis.pause();
    const { error, ms } = await timed(() => store.resolve(host('c1')));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).reason).toBe('timeout');
    expect((error as StoreUnavailableError).code).toBe('GW_ERR_STORE_UNAVAILABLE');
    expect(ms).toBeGreaterThanOrEqual(DEADLINE - 20);
    expect(ms).toBeLessThan(DEADLINE + 2_000); // used to wait for good
    expect(outcomes).toContain('timeout');
    redis.resume();
    expect(await store.resolve(host('c1'))).toBeNull();
  });

  it('gives each command its own deadline from its call, also one issued while another waits', async () => {
    const { store } = observedStore();
    stores.push(store);
    await store.ping();
    redis.pause();
    const first = timed(() => store.routesVersion());
    await new Promise((r) => setTimeout(r, DEADLINE / 2));
    const second = await timed(() => store.resolve(host('c1')));
    expect((await first).error).toBeInstanceOf(StoreUnavailableError);
    expect(second.error).toBeInstanceOf(StoreUnavailableError);
    // Batched behind the first (auto-pipelining), it would have waited for it: about 1.5 deadlines.
    expect(second.ms).toBeLessThan(DEADLINE * 1.3);
  });

  it('fails a command to a server busy in DEBUG SLEEP within the deadline', async () => {
    const { store } = observedStore();
    stores.push(store);
    await store.ping();
    const other = new Redis(redis.url);
    other.on('error', () => {});
    const sleeping = other.call('debug', 'sleep', '2');
    await new Promise((r) => setTimeout(r, 100));
    const { error, ms } = await timed(() => store.routesVersion());
    expect((error as StoreUnavailableError).reason).toBe('timeout');
    expect(ms).toBeLessThan(DEADLINE + 1_500); // the server answers only after 2 s
    await sleeping;
    other.disconnect();
    expect(await store.routesVersion()).toBeGreaterThanOrEqual(0);
  });

  it('fails at once while the server is dead, and works again within a second of its restart', async () => {
    const { store, outcomes } = observedStore();
    stores.push(store);
    await store.mapService(reg('c1'), svc('c1', 'web', 80), Date.now());
    await redis.kill();
    const failures = [];
    for (let i = 0; i < 5; i++) failures.push(await timed(() => store.resolve(host('c1'))));
    for (const f of failures) {
      expect(f.error).toBeInstanceOf(StoreUnavailableError);
      expect(f.ms).toBeLessThan(100); // used to grow to 10 and 15 s as reconnects backed off
    }
    expect(outcomes).toContain('disconnected');
    await redis.restart();
    const back = Date.now();
    let route = null;
    while (route === null && Date.now() - back < 3_000) {
      route = await store.resolve(host('c1')).catch(() => null);
      await new Promise((r) => setTimeout(r, 20)); // failures are immediate: let the reconnect run
    }
    expect(route?.port).toBe(80); // persisted: the answered write survived the restart
    expect(Date.now() - back).toBeLessThan(1_500);
  });

  it('never sends a write again after a reconnect once its caller was told it failed', async () => {
    const { store } = observedStore();
    stores.push(store);
    await store.ping();
    redis.pause();
    const { error } = await timed(() => store.mapService(reg('c5'), svc('c5', 'web', 80), Date.now()));
    expect(error).toBeInstanceOf(StoreUnavailableError);
    // The server dies before reading it; it comes back with its data, and the client reconnects.
    await redis.restart();
    const probe = new RedisStore(redis.url);
    stores.push(probe);
    const deadline = Date.now() + 3_000;
    while (
      Date.now() < deadline &&
      (await store.ping().then(
        () => false,
        () => true,
      ))
    )
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    expect(await probe.resolve(host('c5'))).toBeNull();
  });
});
