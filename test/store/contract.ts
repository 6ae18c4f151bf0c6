/**
 * The store contract: one suite, run against every implementation (memory.test.ts, redis.test.ts),
 * the way Hono runs one router suite against every router.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HISTORY_MAX, HISTORY_MS, type Store } from '../../gateway/store/store.ts';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import { hostnamesFor } from '../../shared/hostnames.ts';
import { guardsContract } from './contract-guards.ts';
import { oidcRecordsContract } from './contract-oidc.ts';
import { collector, DOMAIN, host, LIVENESS, ORG, PROJECT, reg, stats, svc, T0 } from './fixtures.ts';

export { host, reg, stats, svc };

export function storeContract(name: string, make: () => Promise<{ store: Store; dispose(): Promise<void> }>) {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let dispose: () => Promise<void>;
    beforeEach(async () => {
      ({ store, dispose } = await make());
    });
    afterEach(async () => {
      await store.close();
      await dispose();
    });

    it('maps a service under its own hostname and the primary alias', async () => {
      expect(await store.mapService(reg('c1'), svc('c1', 'terminal', 7681), T0)).toBe(true);
      const own = await store.resolve(host('c1', 'terminal'));
      const alias = await store.resolve(host('c1'));
      expect(own).toMatchObject({
        containerId: 'c1',
        service: 'terminal',
        port: 7681,
        upstream: '127.0.0.1',
        access: 'project',
        orgId: ORG,
        projectId: PROJECT,
        lastWatchdog: null,
      });
      expect(alias).toMatchObject({ hostname: host('c1'), service: 'terminal', port: 7681 });
      expect(await store.getContainer('c1')).toMatchObject({
        containerId: 'c1',
        primary: 'terminal',
        alias: host('c1'),
        gateway: 'gw-test',
      });
      expect(await store.resolve('uc-nope.org-org1.example.test')).toBeNull();
    });

    it('is idempotent: a repeated map changes nothing and bumps no version', async () => {
      await store.mapService(reg('c1'), svc('c1', 'terminal', 7681), T0);
      const v = await store.routesVersion();
      expect(await store.mapService(reg('c1'), svc('c1', 'terminal', 7681), T0 + 15_000)).toBe(false);
      expect(await store.routesVersion()).toBe(v);
      expect(await store.listRoutes()).toHaveLength(2);
    });

    it('updates a changed port in place, without duplicates', async () => {
      await store.mapService(reg('c1'), svc('c1', 'terminal', 7681), T0);
      const v = await store.routesVersion();
      expect(await store.mapService(reg('c1'), svc('c1', 'terminal', 7682), T0)).toBe(true);
      expect(await store.routesVersion()).toBe(v + 1);
      const routes = await store.listRoutes();
      expect(routes).toHaveLength(2);
      expect(routes.every((r) => r.port === 7682)).toBe(true);
      expect(await store.listServices('c1')).toHaveLength(1);
    });

    it('moves every hostname of a container when its upstream changes', async () => {
      await store.mapService(reg('c1'), svc('c1', 'a', 1000), T0);
      await store.mapService(reg('c1'), svc('c1', 'b', 2000), T0);
      await store.mapService(reg('c1', '127.0.0.2'), svc('c1', 'a', 1000), T0);
      const routes = await store.listRoutes();
      expect(routes).toHaveLength(3);
      expect(routes.every((r) => r.upstream === '127.0.0.2')).toBe(true);
    });

    it('keeps the first service primary until another asks for it, and moves the alias on unmap', async () => {
      await store.mapService(reg('c1'), svc('c1', 'a', 1000), T0);
      await store.mapService(reg('c1'), svc('c1', 'b', 2000), T0 + 1);
      await store.mapService(reg('c1'), svc('c1', 'c', 3000), T0 + 2);
      expect((await store.resolve(host('c1')))?.service).toBe('a');
      await store.mapService(reg('c1'), svc('c1', 'c', 3000, { primary: true }), T0 + 3);
      expect((await store.resolve(host('c1')))?.service).toBe('c');
      expect(await store.unmapService('c1', 'c')).toBe(true);
      expect((await store.resolve(host('c1')))?.service).toBe('a');
      expect(await store.resolve(host('c1', 'c'))).toBeNull();
      await store.unmapService('c1', 'a');
      await store.unmapService('c1', 'b');
      expect(await store.resolve(host('c1'))).toBeNull();
      expect(await store.listRoutes()).toHaveLength(0);
      expect(await store.unmapService('c1', 'b')).toBe(false);
      expect(await store.unmapService('nobody', 'b')).toBe(false);
    });

    it('records the owner named by the token, and keeps it when a later registration names none', async () => {
      await store.mapService(reg('c1'), svc('c1', 'a', 1000), T0);
      expect((await store.resolve(host('c1')))?.ownerId).toBe('');
      expect(await store.mapService({ ...reg('c1'), ownerId: 'u1' }, svc('c1', 'a', 1000), T0)).toBe(true);
      expect((await store.resolve(host('c1', 'a')))?.ownerId).toBe('u1');
      expect(await store.mapService(reg('c1'), svc('c1', 'a', 1000), T0)).toBe(false);
      expect((await store.resolve(host('c1')))?.ownerId).toBe('u1');
      expect((await store.getContainer('c1'))?.ownerId).toBe('u1');
    });

    guardsContract(() => store);
    oidcRecordsContract(() => store);

    it('redeems a sign-in code once, and never after it expired', async () => {
      await store.putAuthCode('code-1', '{"x":1}', 60_000);
      expect(await store.takeAuthCode('code-1')).toBe('{"x":1}');
      expect(await store.takeAuthCode('code-1')).toBeNull();
      await store.putAuthCode('code-2', 'v', 1);
      await new Promise((r) => setTimeout(r, 20));
      expect(await store.takeAuthCode('code-2')).toBeNull();
      expect(await store.takeAuthCode('never')).toBeNull();
    });

    it('sets the access level on the map event, keeps it when absent, defaults to project', async () => {
      await store.mapService(reg('c1'), svc('c1', 'a', 1000), T0);
      expect((await store.resolve(host('c1', 'a')))?.access).toBe('project');
      await store.mapService(reg('c1'), svc('c1', 'a', 1000, { access: 'public' }), T0);
      expect((await store.resolve(host('c1')))?.access).toBe('public');
      await store.mapService(reg('c1'), svc('c1', 'a', 1000), T0);
      expect((await store.resolve(host('c1', 'a')))?.access).toBe('public');
    });

    it('refuses a hostname that belongs to another container, and changes nothing', async () => {
      // uc_abc and uc-abc make the same DNS label.
      await store.mapService(reg('uc_abc'), svc('uc_abc', 'a', 1000), T0);
      const before = await store.listRoutes();
      const v = await store.routesVersion();
      const err = await store
        .mapService(reg('uc-abc'), svc('uc-abc', 'a', 2000), T0)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).code).toBe(ErrorCode.HostnameConflict);
      expect(await store.listRoutes()).toEqual(before);
      expect(await store.routesVersion()).toBe(v);
      expect(await store.getContainer('uc-abc')).toBeNull();
    });

    it('lets exactly one of two racing containers take a hostname', async () => {
      const results = await Promise.allSettled([
        store.mapService(reg('uc_race'), svc('uc_race', 'web', 1000), T0),
        store.mapService(reg('uc-race'), svc('uc-race', 'web', 2000), T0),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect((rejected.reason as GatewayError).code).toBe(ErrorCode.HostnameConflict);
      const routes = await store.listRoutes();
      expect(routes).toHaveLength(2);
      expect(new Set(routes.map((r) => r.containerId)).size).toBe(1);
    });

    it('removes a container with its routes, health and history', async () => {
      await store.mapService(reg('c1'), svc('c1', 'a', 1000), T0);
      await store.recordWatchdog(reg('c1'), stats(), T0, LIVENESS);
      expect(await store.removeContainer('c1')).toBe(true);
      expect(await store.listRoutes()).toHaveLength(0);
      expect(await store.getContainer('c1')).toBeNull();
      expect(await store.health('c1')).toEqual({
        containerId: 'c1',
        lastWatchdog: null,
        lastActivity: null,
        stats: null,
      });
      expect(await store.statsHistory('c1')).toEqual([]);
      expect(await store.removeContainer('c1')).toBe(false);
    });

    it('records watchdogs: latest stats, liveness time, and a bounded one-hour history', async () => {
      await store.recordWatchdog(reg('c2'), stats(0.1), T0, LIVENESS);
      expect(await store.getContainer('c2')).toMatchObject({ containerId: 'c2', primary: '' });
      await store.recordWatchdog(reg('c2'), stats(0.5), T0 + 15_000, LIVENESS);
      const h = await store.health('c2');
      expect(h.lastWatchdog).toBe(T0 + 15_000);
      expect(h.stats?.cpu.load?.[0]).toBe(0.5);
      await store.recordWatchdog(reg('c2'), stats(0.9), T0 + HISTORY_MS + 10_000, LIVENESS);
      const history = await store.statsHistory('c2');
      expect(history.map((s) => s.at)).toEqual([T0 + 15_000, T0 + HISTORY_MS + 10_000]);
      expect(await store.listRoutes()).toHaveLength(0);
    });

    it('caps the history even for a client that beats too often', async () => {
      for (let i = 0; i < HISTORY_MAX + 20; i++)
        await store.recordWatchdog(reg('c3'), stats(), T0 + i, LIVENESS);
      expect(await store.statsHistory('c3')).toHaveLength(HISTORY_MAX);
    });

    it('reports the last watchdog with a resolved route', async () => {
      await store.mapService(reg('c1'), svc('c1', 'a', 1000), T0);
      await store.recordWatchdog(reg('c1'), stats(), T0 + 5, LIVENESS);
      expect((await store.resolve(host('c1')))?.lastWatchdog).toBe(T0 + 5);
    });

    it('resolves the same with a container hint, right or wrong', async () => {
      await store.mapService(reg('c1'), svc('c1', 'a', 1000), T0);
      await store.mapService(reg('c2'), svc('c2', 'a', 2000), T0);
      await store.recordWatchdog(reg('c1'), stats(), T0 + 5, LIVENESS);
      await store.recordWatchdog(reg('c2'), stats(), T0 + 9, LIVENESS);
      const plain = await store.resolve(host('c1'));
      expect(plain?.lastWatchdog).toBe(T0 + 5);
      for (const hint of ['c1', 'c2', 'nobody']) expect(await store.resolve(host('c1'), hint)).toEqual(plain);
      expect(await store.resolve(host('c9'), 'c1')).toBeNull();
    });

    it('keeps activity times monotonic', async () => {
      await store.mapService(reg('c1'), svc('c1', 'a', 1000), T0);
      await store.recordActivity(new Map([['c1', T0 + 100]]));
      await store.recordActivity(new Map([['c1', T0 + 50]]));
      expect((await store.health('c1')).lastActivity).toBe(T0 + 100);
    });

    it('publishes every route change with consecutive versions, and liveness only when a container comes online', async () => {
      const feed = collector(store);
      await feed.ready;
      const v0 = await store.routesVersion();
      await store.mapService(reg('c1'), svc('c1', 'a', 1000), T0);
      await store.mapService(reg('c1'), svc('c1', 'a', 1000), T0);
      await store.mapService(reg('c1'), svc('c1', 'b', 2000), T0);
      await store.recordWatchdog(reg('c1'), stats(), T0, LIVENESS);
      await store.recordWatchdog(reg('c1'), stats(), T0 + 15_000, LIVENESS);
      await store.recordWatchdog(reg('c1'), stats(), T0 + 100_000, LIVENESS);
      await store.unmapService('c1', 'a');
      const changes = await feed.waitFor(5);
      const routes = changes.filter((c) => c.kind === 'routes');
      expect(routes.map((c) => c.version)).toEqual([v0 + 1, v0 + 2, v0 + 3]);
      expect(routes[0]).toMatchObject({
        containerId: 'c1',
        hostnames: hostnamesFor({ containerId: 'c1', orgId: ORG, domain: DOMAIN }, 'a', true).sort(),
      });
      expect(routes[2]).toMatchObject({ hostnames: [host('c1'), host('c1', 'a')].sort() });
      const liveness = changes.filter((c) => c.kind === 'liveness');
      expect(liveness).toEqual([
        { kind: 'liveness', containerId: 'c1', lastWatchdog: T0 },
        { kind: 'liveness', containerId: 'c1', lastWatchdog: T0 + 100_000 },
      ]);
    });
  });
}
