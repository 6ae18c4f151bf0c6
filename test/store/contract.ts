/**
 * The store contract: one suite, run against every implementation (memory.test.ts, redis.test.ts),
 * the way Hono runs one router suite against every router.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HISTORY_MAX, HISTORY_MS, type Store, type StoreChange } from '../../gateway/store/store.ts';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import { hostnamesFor, serviceHostname } from '../../shared/hostnames.ts';
import type { SystemStats } from '../../shared/protocol.ts';

const DOMAIN = 'example.test';
const ORG = 'org1';
const PROJECT = 'proj1';
const LIVENESS = 45_000;
const T0 = 1_700_000_000_000;

export const stats = (load = 0.1): SystemStats => ({
  cpu: { load: [load, 0.2, 0.3], count: 4, threadsPerCore: 2, model: 'X' },
  memory: { availableMb: 100, totalMb: 200 },
  disk: { sizeBytes: 1000, usedPercent: 13 },
  network: { pingMs: 0.05 },
  gpus: [],
});

export const reg = (containerId: string, upstream = '127.0.0.1') => ({
  containerId,
  orgId: ORG,
  projectId: PROJECT,
  upstream,
  gateway: 'gw-test',
  alias: serviceHostname({ containerId, orgId: ORG, domain: DOMAIN }),
});

export const svc = (
  containerId: string,
  name: string,
  port: number,
  extra: { access?: 'public' | 'org' | 'project' | 'owner'; primary?: boolean } = {},
) => ({
  name,
  port,
  hostname: serviceHostname({ containerId, orgId: ORG, domain: DOMAIN, service: name }),
  ...extra,
});

export const host = (containerId: string, service?: string) =>
  serviceHostname({ containerId, orgId: ORG, domain: DOMAIN, service });

/** Collects changes until `count` arrived (or fails after a while). */
function collector(store: Store) {
  const changes: StoreChange[] = [];
  const ready = store.subscribe((c) => changes.push(c));
  return {
    changes,
    ready,
    async waitFor(count: number) {
      for (let i = 0; i < 200 && changes.length < count; i++) await new Promise((r) => setTimeout(r, 10));
      return changes;
    },
  };
}

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

    describe("the gateway's own listeners", () => {
      const own = (containerId: string, upstream: string, ownPorts: number[]) => ({
        ...reg(containerId, upstream),
        ownPorts,
      });
      const codeOf = (p: Promise<unknown>) =>
        p.then(
          () => 'no error',
          (e: unknown) => (e instanceof GatewayError ? e.code : String(e)),
        );

      it('refuses a service on one of their ports, writing nothing', async () => {
        expect(
          await codeOf(store.mapService(own('c1', '127.0.0.1', [8080, 9090]), svc('c1', 'a', 9090), T0)),
        ).toBe(ErrorCode.OwnListener);
        expect(await store.getContainer('c1')).toBeNull();
        expect(await store.listRoutes()).toEqual([]);
        expect(await store.routesVersion()).toBe(0);
        expect(await store.mapService(own('c1', '127.0.0.1', [8080, 9090]), svc('c1', 'a', 9091), T0)).toBe(
          true,
        );
      });

      it('refuses an upstream change that would move a registered service onto one, writing nothing', async () => {
        await store.mapService(reg('c1', '203.0.113.5'), svc('c1', 'web', 9090), T0);
        const before = await store.listRoutes();
        const v = await store.routesVersion();
        expect(await codeOf(store.mapService(own('c1', '127.0.0.1', [9090]), svc('c1', 'x', 1234), T0))).toBe(
          ErrorCode.OwnListener,
        );
        expect(await store.listRoutes()).toEqual(before);
        expect(await store.routesVersion()).toBe(v);
        expect((await store.getContainer('c1'))?.upstream).toBe('203.0.113.5');
        // The service itself may move off the port with the same upstream change.
        expect(await store.mapService(own('c1', '127.0.0.1', [9090]), svc('c1', 'web', 9091), T0)).toBe(true);
        expect((await store.resolve(host('c1', 'web')))?.upstream).toBe('127.0.0.1');
      });
    });

    describe('revocation', () => {
      const code = (e: unknown) => (e instanceof GatewayError ? e.code : String(e));
      const codeOf = (p: Promise<unknown>) => p.then(() => 'no error', code);

      it('removes the container and refuses its map and watchdog for good, writing nothing', async () => {
        await store.mapService(reg('c1'), svc('c1', 'a', 1000), T0);
        await store.mapService(reg('c2'), svc('c2', 'a', 2000), T0);
        await store.recordWatchdog(reg('c1'), stats(), T0, LIVENESS);
        expect(await store.revokeContainer('c1')).toEqual({ status: 'revoked', removed: true });
        expect(await store.isRevoked('c1')).toBe(true);
        const routes = await store.listRoutes();
        const version = await store.routesVersion();
        expect(routes.map((r) => r.containerId)).toEqual(['c2', 'c2']);
        for (let round = 0; round < 2; round++) {
          expect(await codeOf(store.mapService(reg('c1'), svc('c1', 'a', 1000), T0 + 1))).toBe(
            ErrorCode.ContainerRevoked,
          );
          expect(await codeOf(store.recordWatchdog(reg('c1'), stats(), T0 + 2, LIVENESS))).toBe(
            ErrorCode.ContainerRevoked,
          );
        }
        expect(await store.listRoutes()).toEqual(routes);
        expect(await store.routesVersion()).toBe(version);
        expect(await store.getContainer('c1')).toBeNull();
        expect((await store.listContainers()).map((c) => c.containerId)).toEqual(['c2']);
        expect(await store.health('c1')).toEqual({
          containerId: 'c1',
          lastWatchdog: null,
          lastActivity: null,
          stats: null,
        });
        expect(await store.statsHistory('c1')).toEqual([]);
        expect(await store.isRevoked('c2')).toBe(false);
      });

      it('refuses the first watchdog of a revoked container that never had a record', async () => {
        expect(await store.revokeContainer('c5')).toEqual({ status: 'revoked', removed: false });
        expect(await codeOf(store.recordWatchdog(reg('c5'), stats(), T0, LIVENESS))).toBe(
          ErrorCode.ContainerRevoked,
        );
        expect(await store.getContainer('c5')).toBeNull();
        expect((await store.health('c5')).lastWatchdog).toBeNull();
      });

      it('says when a container was already revoked, and leaves an unknown id alone when asked', async () => {
        expect(await store.revokeContainer('nobody', { onlyIfKnown: true })).toEqual({
          status: 'unknown',
          removed: false,
        });
        expect(await store.isRevoked('nobody')).toBe(false);
        await store.mapService(reg('nobody'), svc('nobody', 'a', 1000), T0);
        await store.recordWatchdog(reg('c3'), stats(), T0, LIVENESS);
        expect(await store.revokeContainer('c3', { onlyIfKnown: true })).toEqual({
          status: 'revoked',
          removed: true,
        });
        expect(await store.revokeContainer('c3', { onlyIfKnown: true })).toEqual({
          status: 'already-revoked',
          removed: false,
        });
        expect(await store.revokeContainer('c3')).toEqual({ status: 'already-revoked', removed: false });
      });

      it('publishes the route change, then `revoked`; a repeat publishes `revoked` again', async () => {
        await store.mapService(reg('c1'), svc('c1', 'a', 1000), T0);
        const feed = collector(store);
        await feed.ready;
        const v = await store.routesVersion();
        await store.revokeContainer('c1');
        await store.revokeContainer('c1');
        expect(await feed.waitFor(3)).toEqual([
          {
            kind: 'routes',
            version: v + 1,
            containerId: 'c1',
            hostnames: [host('c1'), host('c1', 'a')].sort(),
          },
          { kind: 'revoked', containerId: 'c1' },
          { kind: 'revoked', containerId: 'c1' },
        ]);
      });

      it('refuses every map sent after the revocation, even in the same burst', async () => {
        await store.mapService(reg('c1'), svc('c1', 'a', 1000), T0);
        // Issued in this order without waiting (one pipeline on Redis): 10 maps, the revocation, 10 maps.
        const outcomes: Promise<unknown>[] = [];
        for (let i = 0; i < 20; i++) {
          if (i === 10) outcomes.push(store.revokeContainer('c1'));
          outcomes.push(
            store.mapService(reg('c1'), svc('c1', `s${i}`, 1000 + i), T0 + i).then(() => 'ok', code),
          );
        }
        const settled = await Promise.all(outcomes);
        expect(settled.slice(11)).toEqual(Array(10).fill(ErrorCode.ContainerRevoked));
        expect(await store.listRoutes()).toEqual([]);
        expect(await store.getContainer('c1')).toBeNull();
      });
    });

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
