import { describe, expect, it } from 'vitest';
import { RouteCache } from '../../gateway/routes/route-cache.ts';
import { MemoryStore } from '../../gateway/store/memory.ts';
import { host, reg, stats, svc } from '../store/contract.ts';

const T0 = 1_700_000_000_000;
/** Lets pending store reads and their callbacks finish. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A memory store whose reads the test counts (gaps and reconnects: route-cache-outage.test.ts). */
function setup(ttlMs = 60_000, negativeTtlMs = 60_000) {
  const store = new MemoryStore();
  let now = T0;
  let resolves = 0;
  const hints: (string | undefined)[] = [];
  const realResolve = store.resolve.bind(store);
  store.resolve = (h, hint) => {
    resolves++;
    hints.push(hint);
    return realResolve(h, hint);
  };
  const cache = new RouteCache(store, { ttlMs, negativeTtlMs, maxEntries: 1000, now: () => now });
  return {
    store,
    cache,
    advance: (ms: number) => (now += ms),
    resolves: () => resolves,
    hints,
  };
}

describe('RouteCache', () => {
  it('answers hits from memory without asking the store', async () => {
    const { store, cache, resolves } = setup();
    await cache.start();
    await store.mapService(reg('c1'), svc('c1', 'web', 80), T0);
    expect(cache.peek(host('c1'))).toBeUndefined();
    expect((await cache.load(host('c1')))?.port).toBe(80);
    for (let i = 0; i < 100; i++) expect(cache.peek(host('c1'))?.port).toBe(80);
    expect(resolves()).toBe(1);
    expect(cache.stats).toMatchObject({ hits: 100, misses: 1 });
  });

  it('drops exactly the changed hostnames when a change arrives, and reads them again at once', async () => {
    const { store, cache, resolves, hints } = setup();
    await cache.start();
    await store.mapService(reg('c1'), svc('c1', 'web', 80), T0);
    await store.mapService(reg('c2'), svc('c2', 'web', 81), T0);
    await cache.load(host('c1'));
    await cache.load(host('c2'));
    const heard: unknown[] = [];
    cache.onInvalidate((h) => heard.push(h));
    const change = store.mapService(reg('c1'), svc('c1', 'web', 8080), T0);
    // Dropped the moment the change is heard: the old route is never answered again.
    expect(cache.peek(host('c1'))).toBeUndefined();
    await change;
    await settle();
    expect(heard).toEqual([[host('c1', 'web'), host('c1')]]);
    // Read again with the container it belonged to as the hint: the next request is a hit.
    expect(resolves()).toBe(3);
    expect(hints.at(-1)).toBe('c1');
    expect(cache.peek(host('c1'))?.port).toBe(8080);
    expect(cache.peek(host('c2'))?.port).toBe(81);
    expect(cache.stats.misses).toBe(2);
  });

  it('does not read again a hostname that was only cached as unknown', async () => {
    const { store, cache, resolves } = setup();
    await cache.start();
    expect(await cache.load(host('c1'))).toBeNull();
    await store.mapService(reg('c1'), svc('c1', 'web', 80), T0);
    await settle();
    expect(resolves()).toBe(1);
    expect(cache.peek(host('c1'))).toBeUndefined();
  });

  it('does not let a request join a load that began before a change', async () => {
    const { store, cache } = setup();
    await cache.start();
    await store.mapService(reg('c1'), svc('c1', 'web', 80), T0);
    // A slow store: the first read answers (with what it read) only when released.
    const read = store.resolve.bind(store);
    let release: () => void = () => {};
    store.resolve = (h, hint) => {
      store.resolve = read;
      const answer = read(h, hint);
      return new Promise((resolve) => (release = () => resolve(answer)));
    };
    const before = cache.load(host('c1'));
    await store.mapService(reg('c1'), svc('c1', 'web', 81), T0);
    const after = cache.load(host('c1'));
    expect((await after)?.port).toBe(81);
    release();
    expect((await before)?.port).toBe(80);
    expect(cache.peek(host('c1'))?.port).toBe(81);
  });

  it('remembers unknown hosts briefly, and forgets them when the host appears', async () => {
    const { store, cache, advance } = setup(60_000, 1_000);
    await cache.start();
    expect(await cache.load(host('c9'))).toBeNull();
    expect(cache.peek(host('c9'))).toBeNull();
    advance(1_001);
    expect(cache.peek(host('c9'))).toBeUndefined();
    await cache.load(host('c9'));
    await store.mapService(reg('c9'), svc('c9', 'web', 80), T0);
    expect(cache.peek(host('c9'))).toBeUndefined();
  });

  it('expires entries after the TTL (a guard against a missed message)', async () => {
    const { store, cache, advance } = setup(5_000);
    await cache.start();
    await store.mapService(reg('c1'), svc('c1', 'web', 80), T0);
    await cache.load(host('c1'));
    advance(4_999);
    expect(cache.peek(host('c1'))).not.toBeUndefined();
    advance(2);
    expect(cache.peek(host('c1'))).toBeUndefined();
  });

  it('updates the cached last watchdog when a container comes back online', async () => {
    const { store, cache } = setup();
    await cache.start();
    await store.mapService(reg('c1'), svc('c1', 'web', 80), T0);
    expect((await cache.load(host('c1')))?.lastWatchdog).toBeNull();
    await store.recordWatchdog(reg('c1'), stats(), T0 + 10, 45_000);
    expect(cache.peek(host('c1'))?.lastWatchdog).toBe(T0 + 10);
  });

  it('does not cache an answer that raced with a change', async () => {
    const { store, cache } = setup();
    await cache.start();
    await store.mapService(reg('c1'), svc('c1', 'web', 80), T0);
    const loading = cache.load(host('c1'));
    await store.mapService(reg('c1'), svc('c1', 'web', 81), T0);
    await loading;
    expect(cache.peek(host('c1'))).toBeUndefined();
  });
});
