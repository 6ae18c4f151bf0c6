/**
 * The store's guards, part of the store contract: what no registration may do (route to the gateway's own
 * listeners) and what a revocation forbids for good.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../gateway/store/store.ts';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import { collector, host, LIVENESS, reg, stats, svc, T0 } from './fixtures.ts';

/** Runs inside `storeContract`'s describe; `current()` is the store of the running case. */
export function guardsContract(current: () => Store): void {
  let store: Store;
  beforeEach(() => {
    store = current();
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
}
