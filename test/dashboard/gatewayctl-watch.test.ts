/**
 * `gatewayctl watch` through a gateway's admin API (`/admin/events`), on the embedded store: changes are
 * printed as they happen (table lines or JSON lines), and stopping it lets go of the subscription.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../gateway/store/memory.ts';
import { adminApi } from '../../scripts/gatewayctl/admin-api.ts';
import { watchAdminEvents } from '../../scripts/gatewayctl/watch.ts';
import { host, reg, svc, T0 } from '../store/fixtures.ts';
import { serveDashboard } from './harness.ts';

describe('gatewayctl watch over the admin API', () => {
  it.each([false, true])('prints changes live (json %s) and unsubscribes when stopped', async (json) => {
    const store = new MemoryStore();
    const h = await serveDashboard(store);
    const lines: string[] = [];
    const stop = new AbortController();
    try {
      const api = adminApi({ ADMIN_HOST: '127.0.0.1', ADMIN_PORT: new URL(h.base).port });
      const watching = watchAdminEvents(api, { json, write: (l) => void lines.push(l), signal: stop.signal });
      await expect.poll(() => h.subscriptions(), { timeout: 5_000 }).toBe(1);
      await store.mapService(reg('w1'), svc('w1', 'web', 8000), T0);
      await store.revokeContainer('w1');
      // The revocation publishes its routes' removal, then `revoked`.
      await expect.poll(() => lines.length, { timeout: 5_000 }).toBe(3);
      if (json) {
        expect(JSON.parse(lines[0] as string)).toMatchObject({
          kind: 'routes',
          containerId: 'w1',
          version: 1,
        });
        expect(JSON.parse(lines[2] as string)).toMatchObject({ kind: 'revoked', containerId: 'w1' });
      } else {
        expect(lines[0]).toMatch(
          new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3}  routes    v1  w1  .*${host('w1', 'web')}`),
        );
        expect(lines[2]).toMatch(/ {2}revoked {3}w1$/);
      }
      stop.abort();
      await watching;
      await expect.poll(() => h.subscriptions(), { timeout: 5_000 }).toBe(0);
    } finally {
      stop.abort();
      await h.close();
    }
  });
});
