/**
 * `GET /admin/events`: the store's change feed as SSE, on the memory store and on a real redis-server,
 * through the Node adapter: a change arrives as `event: <kind>`; a client that leaves is unsubscribed;
 * a client that does not read is cut at its queue bound; heartbeats are comments; ADMIN_TOKEN applies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminEvents } from '../../gateway/control/admin-events.ts';
import { MemoryStore } from '../../gateway/store/memory.ts';
import type { Store } from '../../gateway/store/store.ts';
import { host, reg, svc, T0 } from '../store/fixtures.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { storeKinds } from '../support/store-kinds.ts';
import { serveDashboard } from './harness.ts';

/** Reads an SSE body until `predicate` holds for the text so far. */
async function readUntil(body: ReadableStream<Uint8Array>, predicate: (text: string) => boolean) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  while (!predicate(text)) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  reader.releaseLock();
  return text;
}

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

describe.each(storeKinds(() => redis.url))('GET /admin/events on the %s store', (_name, makeStore) => {
  it('streams a change as it happens, and unsubscribes a client that leaves', async () => {
    const store: Store = await makeStore();
    const h = await serveDashboard(store);
    try {
      const leave = new AbortController();
      const res = await fetch(`${h.base}/admin/events`, { signal: leave.signal });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      const body = res.body as ReadableStream<Uint8Array>;
      expect(await readUntil(body, (t) => t.includes(': subscribed'))).toContain('retry: 2000');
      expect(h.subscriptions()).toBe(1);

      await store.mapService(reg('c1'), svc('c1', 'web', 8888), T0);
      const text = await readUntil(body, (t) => t.includes('event: routes'));
      const data = /event: routes\ndata: (.*)\n\n/.exec(text)?.[1];
      expect(JSON.parse(data as string)).toMatchObject({
        kind: 'routes',
        containerId: 'c1',
        hostnames: expect.arrayContaining([host('c1'), host('c1', 'web')]),
        at: expect.any(Number),
      });
      await store.revokeContainer('c1');
      expect(await readUntil(body, (t) => t.includes('event: revoked'))).toContain('"containerId":"c1"');

      leave.abort();
      await expect.poll(() => h.subscriptions(), { timeout: 5_000 }).toBe(0);
      expect(h.events.clients).toBe(0);
    } finally {
      await h.close();
      await store.close();
    }
  });
});

describe('GET /admin/events limits and access', () => {
  it('cuts a client that does not read once its queue is full, and unsubscribes it', async () => {
    const store = new MemoryStore();
    let active = 0;
    const events = createAdminEvents({
      maxQueued: 5,
      subscribe: async (listener) => {
        const off = await store.subscribe(listener);
        active++;
        return async () => {
          active--;
          await off();
        };
      },
    });
    // In-process: nobody reads the body, so the queue only grows.
    const res = await events.handler({} as never);
    expect(active).toBe(1);
    for (let i = 0; i < 10; i++) store.emit({ kind: 'pool', gatewayId: `gw-${i}` });
    expect(events.cut).toBe(1);
    expect(events.clients).toBe(0);
    await expect.poll(() => active).toBe(0);
    await expect(res.text()).rejects.toThrow();
  });

  it('sends heartbeat comments on an idle stream', async () => {
    const h = await serveDashboard(new MemoryStore(), { heartbeatMs: 50 });
    try {
      const res = await fetch(`${h.base}/admin/events`);
      expect(
        await readUntil(res.body as ReadableStream<Uint8Array>, (t) => t.includes(': heartbeat')),
      ).toMatch(/\n: heartbeat\n\n/);
      await res.body?.cancel();
    } finally {
      await h.close();
    }
  });

  it('takes ADMIN_TOKEN like the rest of /admin/*', async () => {
    const h = await serveDashboard(new MemoryStore(), { adminToken: 'sse-token-0123456789' });
    try {
      const refused = await fetch(`${h.base}/admin/events`);
      expect(refused.status).toBe(401);
      expect(h.subscriptions()).toBe(0);
      const res = await fetch(`${h.base}/admin/events`, {
        headers: { authorization: 'Bearer sse-token-0123456789' },
      });
      expect(res.status).toBe(200);
      await res.body?.cancel();
      await expect.poll(() => h.subscriptions()).toBe(0);
    } finally {
      await h.close();
    }
  });
});
