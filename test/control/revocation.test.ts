/**
 * Revocation through the admin API (in-process, `app.request`), then the revoked container's events on the
 * control app: permanent in every mode, announced on the change feed, unknown ids refused with 404.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAdminApp } from '../../gateway/control/admin.ts';
import { storeInventory } from '../../gateway/control/inventory.ts';
import { createRevoker } from '../../gateway/control/revocation.ts';
import { silentLogger } from '../../gateway/log.ts';
import { SecurityReason } from '../../gateway/security-log.ts';
import type { Store, StoreChange } from '../../gateway/store/store.ts';
import type { VpnRevocation } from '../../gateway/vpn/vpn-manager.ts';
import { ErrorCode, forbidden } from '../../shared/errors.ts';
import { controlHarness, legacyWatchdogBody, mapBody, recordingSecurityLog } from '../support/control.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { storeKinds } from '../support/store-kinds.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

/** A stand-in for the VPN manager's revoke: knows the ids given, records the calls in `steps`. */
function fakeVpn(known: string[], steps: string[]) {
  const revoked = new Set<string>();
  return {
    async revoke(
      containerId: string,
      options: { onlyIfKnown?: boolean } = {},
    ): Promise<VpnRevocation | null> {
      steps.push(`vpn.revoke ${containerId} onlyIfKnown=${options.onlyIfKnown ?? false}`);
      const alreadyRevoked = revoked.has(containerId);
      if (options.onlyIfKnown && !alreadyRevoked && !known.includes(containerId)) return null;
      revoked.add(containerId);
      return { killed: 1, alreadyRevoked };
    },
  };
}

for (const [name, makeStore] of storeKinds(() => redis.url)) {
  describe(`revocation (${name} store)`, () => {
    let store: Store;
    let h: Awaited<ReturnType<typeof controlHarness>>;
    let steps: string[];
    let closed: string[];
    let changes: StoreChange[];
    const adminSecurity = recordingSecurityLog();
    const adminApp = (vpn?: ReturnType<typeof fakeVpn>) =>
      createAdminApp({
        log: silentLogger,
        readiness: [],
        metrics: () => '',
        inventory: storeInventory(store, 45_000),
        revoke: createRevoker({
          store,
          vpn,
          closeWebSockets: (id) => void closed.push(id),
          security: adminSecurity,
          log: silentLogger,
        }),
      });
    const revoke = (app: ReturnType<typeof adminApp>, id: string) =>
      app.request(`/admin/containers/${id}/revoke`, { method: 'POST' });
    const revokedMessages = async () => {
      await new Promise((r) => setTimeout(r, 50));
      return changes.filter((c) => c.kind === 'revoked');
    };

    beforeEach(async () => {
      store = await makeStore();
      h = await controlHarness(store);
      steps = [];
      closed = [];
      changes = [];
      adminSecurity.events.length = 0;
      await store.subscribe((change) => {
        changes.push(change);
        if (change.kind === 'revoked') steps.push(`feed revoked ${change.containerId}`);
      });
      return () => store.close();
    });

    it('VPN off: revokes for good; the same token then registers nothing, by map or watchdog', async () => {
      const token = await h.token('c1');
      expect((await h.post(token, mapBody('web', 3000))).status).toBe(200);
      expect((await h.post(token, legacyWatchdogBody())).status).toBe(200);
      const app = adminApp();
      const res = await revoke(app, 'c1');
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({
        containerId: 'c1',
        alreadyRevoked: false,
        routesRemoved: true,
        vpnClientsKilled: 0,
      });
      expect(closed).toEqual(['c1']);
      expect(await revokedMessages()).toEqual([{ kind: 'revoked', containerId: 'c1' }]);
      expect(adminSecurity.events).toEqual([
        [SecurityReason.ContainerRevoked, expect.objectContaining({ containerId: 'c1' })],
      ]);

      const before = { routes: await store.listRoutes(), containers: await store.listContainers() };
      for (const body of [
        mapBody('web', 3000),
        legacyWatchdogBody(),
        '{"event":{"type":"user-container:unmap-http-service","name":"web"}}',
        `{"event":{"type":"user-container:activity","last_activity":${Date.now()}}}`,
      ]) {
        const refused = await h.post(token, body);
        expect(refused.status).toBe(403);
        expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
          'GW_ERR_CONTAINER_REVOKED',
        );
      }
      expect({ routes: await store.listRoutes(), containers: await store.listContainers() }).toEqual(before);
      expect(await store.health('c1')).toMatchObject({ lastWatchdog: null, stats: null });
      expect(h.security.events.map(([reason, fields]) => [reason, fields.event])).toEqual([
        [SecurityReason.RevokedContainerRefused, 'user-container:map-http-service'],
        [SecurityReason.RevokedContainerRefused, 'user-container:watchdog'],
        [SecurityReason.RevokedContainerRefused, 'user-container:unmap-http-service'],
        [SecurityReason.RevokedContainerRefused, 'user-container:activity'],
      ]);
      expect(JSON.stringify(h.security.events)).not.toContain(token);
      // Other containers are untouched.
      expect((await h.post(await h.token('c2'), mapBody('web', 3000))).status).toBe(200);
    });

    it('revoking again succeeds and says it was already revoked', async () => {
      await h.post(await h.token('c1'), legacyWatchdogBody());
      const app = adminApp();
      expect((await revoke(app, 'c1')).status).toBe(200);
      const again = await revoke(app, 'c1');
      expect(again.status).toBe(200);
      expect(await again.json()).toEqual({
        containerId: 'c1',
        alreadyRevoked: true,
        routesRemoved: false,
        vpnClientsKilled: 0,
      });
    });

    it('an unknown id answers 404 GW_ERR_UNKNOWN_CONTAINER and marks nothing', async () => {
      const res = await revoke(adminApp(), 'nobody');
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('GW_ERR_UNKNOWN_CONTAINER');
      expect(body.error.message).toContain('nobody');
      expect(await store.isRevoked('nobody')).toBe(false);
      expect(await revokedMessages()).toEqual([]);
      expect(closed).toEqual([]);
      expect((await h.post(await h.token('nobody'), mapBody('web', 3000))).status).toBe(200);
    });

    it('VPN on: the VPN is marked before the feed announces it, and both stores end marked', async () => {
      await h.post(await h.token('c1'), mapBody('web', 3000));
      const res = await revoke(adminApp(fakeVpn([], steps)), 'c1');
      expect(await res.json()).toEqual({
        containerId: 'c1',
        alreadyRevoked: false,
        routesRemoved: true,
        vpnClientsKilled: 1,
      });
      await revokedMessages();
      expect(steps).toEqual(['vpn.revoke c1 onlyIfKnown=false', 'feed revoked c1']);
      expect(await store.isRevoked('c1')).toBe(true);
    });

    it('VPN on: an id only the VPN knows is revoked in both; one neither knows is 404 and marks nothing', async () => {
      const app = adminApp(fakeVpn(['vpn-only'], steps));
      const known = await revoke(app, 'vpn-only');
      expect(known.status).toBe(200);
      expect(await known.json()).toMatchObject({ alreadyRevoked: false, routesRemoved: false });
      expect(await store.isRevoked('vpn-only')).toBe(true);
      const unknown = await revoke(app, 'nobody');
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe(
        'GW_ERR_UNKNOWN_CONTAINER',
      );
      expect(await store.isRevoked('nobody')).toBe(false);
      expect(await revokedMessages()).toEqual([{ kind: 'revoked', containerId: 'vpn-only' }]);
    });

    it('VPN on: a revoked container that lost its VPN address is told it is revoked', async () => {
      await h.post(await h.token('c1'), mapBody('web', 3000));
      await revoke(adminApp(fakeVpn([], steps)), 'c1');
      const vpnHarness = await controlHarness(store, {
        // As the VPN manager answers for a container without an address.
        upstreamOf: async () => {
          throw forbidden(ErrorCode.SourceMismatch, 'this container has no VPN address');
        },
      });
      const res = await vpnHarness.post(await vpnHarness.token('c1'), legacyWatchdogBody());
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('GW_ERR_CONTAINER_REVOKED');
    });
  });
}
