/**
 * The route cache through a store outage: stale-if-error within the stale bound, no store read per
 * request while the store is known down, and a reconcile after a reconnect that drops only what changed.
 */
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/log.ts';
import { RouteCache } from '../../gateway/routes/route-cache.ts';
import { MemoryStore } from '../../gateway/store/memory.ts';
import { type StoreChange, StoreUnavailableError } from '../../gateway/store/store.ts';
import { host, reg, svc } from '../store/contract.ts';

const T0 = 1_700_000_000_000;
const settle = () => new Promise((resolve) => setTimeout(resolve, 5));

/** A memory store that can be made to fail, a feed the test drives, and a hand-driven clock. */
function setup(staleMaxMs = 600_000) {
  const store = new MemoryStore();
  let now = T0;
  let failing = false;
  let down = false;
  let resolves = 0;
  let deaf = false;
  let inject: (c: StoreChange) => void = () => {};
  const realSubscribe = store.subscribe.bind(store);
  store.subscribe = async (listener) => {
    inject = listener;
    return realSubscribe((c) => deaf || listener(c));
  };
  const fail = () => Promise.reject(new StoreUnavailableError('timeout'));
  const realResolve = store.resolve.bind(store);
  store.resolve = (h, hint) => {
    resolves++;
    return failing ? fail() : realResolve(h, hint);
  };
  const realVersion = store.routesVersion.bind(store);
  store.routesVersion = () => (failing ? fail() : realVersion());
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('info', (l) => lines.push(...l.split('\n').map((x) => JSON.parse(x))));
  const cache = new RouteCache(store, {
    ttlMs: 5_000,
    negativeTtlMs: 1_000,
    maxEntries: 1000,
    staleMaxMs,
    storeDown: () => down,
    log,
    reconcileRetryMs: 5,
    now: () => now,
  });
  return {
    store,
    cache,
    lines,
    inject: (c: StoreChange) => inject(c),
    advance: (ms: number) => (now += ms),
    setFailing: (v: boolean) => (failing = v),
    setDown: (v: boolean) => (down = v),
    /** Changes made meanwhile never reach the cache (its subscriber is reconnecting). */
    setDeaf: (v: boolean) => (deaf = v),
    resolves: () => resolves,
  };
}

describe('RouteCache during a store outage', () => {
  it('serves a known route past its TTL when the store fails, and asks again only after a pause', async () => {
    const t = setup();
    await t.cache.start();
    await t.store.mapService(reg('c1'), svc('c1', 'web', 80), T0);
    await t.cache.load(host('c1'));
    t.setFailing(true);
    t.advance(6_000); // past the TTL
    expect(t.cache.peek(host('c1'))).toBeUndefined();
    expect((await t.cache.load(host('c1')))?.port).toBe(80);
    const reads = t.resolves();
    for (let i = 0; i < 50; i++) expect(t.cache.peek(host('c1'))?.port).toBe(80);
    expect(t.resolves()).toBe(reads);
    expect(t.cache.stats.stale).toBe(1);
    // An unknown hostname has nothing to fall back on.
    await expect(t.cache.load(host('c9'))).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('while the store is known down, serves known routes from memory and refuses unknown ones without asking it', async () => {
    const t = setup();
    await t.cache.start();
    await t.store.mapService(reg('c1'), svc('c1', 'web', 80), T0);
    await t.cache.load(host('c1'));
    t.setFailing(true);
    t.setDown(true);
    t.advance(60_000);
    const reads = t.resolves();
    for (let i = 0; i < 100; i++) expect(t.cache.peek(host('c1'))?.port).toBe(80);
    await expect(t.cache.load(host('c9'))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(t.resolves()).toBe(reads);
    expect(t.cache.stats.stale).toBe(100);
  });

  it('stops serving a route once the store has not confirmed it for the stale bound', async () => {
    const t = setup(30_000);
    await t.cache.start();
    await t.store.mapService(reg('c1'), svc('c1', 'web', 80), T0);
    await t.cache.load(host('c1'));
    t.setFailing(true);
    t.setDown(true);
    t.advance(29_000);
    expect(t.cache.peek(host('c1'))?.port).toBe(80);
    t.advance(1_000);
    expect(t.cache.peek(host('c1'))).toBeUndefined();
    await expect(t.cache.load(host('c1'))).rejects.toBeInstanceOf(StoreUnavailableError);
    t.setDown(false);
    await expect(t.cache.load(host('c1'))).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('after a reconnect with nothing missed, keeps every entry and reads no route again', async () => {
    const t = setup();
    await t.cache.start();
    await t.store.mapService(reg('c1'), svc('c1', 'web', 80), T0);
    await t.cache.load(host('c1'));
    const heard: unknown[] = [];
    t.cache.onInvalidate((h) => heard.push(h));
    const reads = t.resolves();
    t.inject({ kind: 'resync' });
    await settle();
    expect(t.cache.peek(host('c1'))?.port).toBe(80);
    expect(t.resolves()).toBe(reads);
    expect(heard).toEqual([]);
    expect(t.lines).toMatchObject([{ msg: 'store reconciled', checked: 0, changed: 0 }]);
  });

  it('after a reconnect that missed changes, drops only the hostnames that changed, serving meanwhile', async () => {
    const t = setup();
    await t.cache.start();
    for (const c of ['c1', 'c2', 'c3']) await t.store.mapService(reg(c), svc(c, 'web', 80), T0);
    for (const c of ['c1', 'c2', 'c3']) await t.cache.load(host(c));
    expect(await t.cache.load(host('c9'))).toBeNull();
    const from = await t.store.routesVersion();
    t.setDeaf(true);
    await t.store.mapService(reg('c2'), svc('c2', 'web', 81), T0);
    await t.store.removeContainer('c3');
    await t.store.mapService(reg('c9'), svc('c9', 'web', 80), T0);
    t.setDeaf(false);
    const to = await t.store.routesVersion();
    const heard: (readonly string[])[] = [];
    t.cache.onInvalidate((h) => heard.push(h));

    t.setFailing(true);
    t.inject({ kind: 'resync' }); // the store cannot answer yet: keep serving, try again shortly
    await settle();
    expect(t.cache.peek(host('c2'))?.port).toBe(80);
    expect(t.lines).toEqual([]);
    t.setFailing(false);
    for (let i = 0; i < 100 && t.lines.length === 0; i++) await settle();

    expect(t.lines).toMatchObject([{ msg: 'store reconciled', from, to, checked: 3, changed: 2 }]);
    expect(heard.map((h) => [...h].sort())).toEqual([[host('c2'), host('c3')].sort()]);
    expect(t.cache.peek(host('c1'))?.port).toBe(80);
    expect(t.cache.peek(host('c2'))?.port).toBe(81); // read again: the next request is a hit
    expect(t.cache.peek(host('c3'))).toBeUndefined();
    expect(t.cache.peek(host('c9'))).toBeUndefined(); // unknown then, registered since: asked again
    expect(t.cache.stats.resyncs).toBe(1);
  });

  it('reconciles on a version gap too, after applying the message that showed it', async () => {
    const t = setup();
    await t.cache.start();
    for (const c of ['c1', 'c2']) await t.store.mapService(reg(c), svc(c, 'web', 80), T0);
    for (const c of ['c1', 'c2']) await t.cache.load(host(c));
    t.setDeaf(true);
    await t.store.mapService(reg('c1'), svc('c1', 'web', 81), T0); // missed
    t.setDeaf(false);
    await t.store.mapService(reg('c2'), svc('c2', 'web', 82), T0); // heard: a gap of one
    for (let i = 0; i < 100 && t.lines.length === 0; i++) await settle();
    expect(t.lines).toMatchObject([{ msg: 'store reconciled', changed: 1 }]);
    expect(t.cache.peek(host('c1'))?.port).toBe(81);
    expect(t.cache.peek(host('c2'))?.port).toBe(82);
  });
});
