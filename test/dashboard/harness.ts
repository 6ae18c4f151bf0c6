/**
 * The admin app with the dashboard over a real store, served on a free loopback port through the same
 * Node adapter the gateway uses (`@hono/node-server`), with the store's subscriptions counted.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { createAdminApp } from '../../gateway/control/admin.ts';
import { createAdminEvents } from '../../gateway/control/admin-events.ts';
import { storeInventory } from '../../gateway/control/inventory.ts';
import { createRevoker } from '../../gateway/control/revocation.ts';
import { silentLogger } from '../../gateway/log.ts';
import type { Store } from '../../gateway/store/store.ts';
import { LIVENESS } from '../store/fixtures.ts';
import { recordingSecurityLog } from '../support/control.ts';

export interface DashboardHarness {
  base: string;
  /** Subscriptions the SSE handlers hold on the store now. */
  subscriptions(): number;
  events: ReturnType<typeof createAdminEvents>;
  revoked: string[];
  close(): Promise<void>;
}

export async function serveDashboard(
  store: Store,
  opts: { adminToken?: string; heartbeatMs?: number; maxQueued?: number } = {},
): Promise<DashboardHarness> {
  let active = 0;
  const events = createAdminEvents({
    heartbeatMs: opts.heartbeatMs,
    maxQueued: opts.maxQueued,
    subscribe: async (listener) => {
      const unsubscribe = await store.subscribe(listener);
      active++;
      return async () => {
        active--;
        await unsubscribe();
      };
    },
  });
  const revoked: string[] = [];
  // The gateway's one revoke path (no VPN here), as `POST /admin/containers/:id/revoke` takes it.
  const revoker = createRevoker({
    store,
    closeWebSockets: () => {},
    security: recordingSecurityLog(),
    log: silentLogger,
  });
  const revoke = async (containerId: string) => {
    const result = await revoker(containerId);
    revoked.push(containerId);
    return result;
  };
  const app = createAdminApp({
    log: silentLogger,
    readiness: [],
    metrics: () => '',
    inventory: storeInventory(store, LIVENESS),
    revoke,
    adminToken: opts.adminToken,
    dashboard: {
      store,
      livenessTimeoutMs: LIVENESS,
      revoke,
      events,
      gateway: () => ({
        gatewayId: 'gw-test',
        version: '0.1.0',
        startedAt: Date.now() - 60_000,
        store: 'up',
        storeKind: 'memory',
      }),
      gateways: async () => [
        {
          id: 'gw-test',
          state: 'alive',
          version: '0.1.0',
          vpnRemote: null,
          lastBeatAgoMs: 1000,
          containers: 0,
        },
      ],
      adminToken: opts.adminToken,
    },
  });
  const server: Server = createServer(getRequestListener((request) => app.fetch(request)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    subscriptions: () => active,
    events,
    revoked,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
