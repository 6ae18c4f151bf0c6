/**
 * OIDC clients in process, over the memory store: a client exists only while its service routes to its
 * container (fail closed), keeps its secret across repeats, and goes with unmap, revocation and retention.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../gateway/log.ts';
import { OidcClients } from '../../gateway/oidc/clients.ts';
import { startRetention } from '../../gateway/routes/retention.ts';
import { MemoryStore } from '../../gateway/store/memory.ts';
import { host, reg, svc } from '../store/fixtures.ts';

const ISSUER = 'http://localhost:8080';

describe('OidcClients', () => {
  let store: MemoryStore;
  let clients: OidcClients;
  const owner = (containerId: string, service: string) => ({
    containerId,
    orgId: reg(containerId).orgId,
    projectId: reg(containerId).projectId,
    service,
    hostname: host(containerId, service),
  });
  beforeEach(() => {
    store = new MemoryStore();
    clients = new OidcClients({
      store,
      secretKey: new Uint8Array(32).fill(1),
      issuer: ISSUER,
      originOf: (h) => `http://${h}:8080`,
    });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await store.close();
  });

  it('is no client while its service does not route to its container', async () => {
    await clients.register(owner('c1', 'app'), { redirect_paths: ['/cb'] });
    expect(await clients.metadata(host('c1', 'app'))).toBeUndefined();
    await store.mapService(reg('c1'), svc('c1', 'app', 9), Date.now());
    expect(await clients.metadata(host('c1', 'app'))).toMatchObject({
      client_id: host('c1', 'app'),
      redirect_uris: [`http://${host('c1', 'app')}:8080/cb`, `http://${host('c1')}:8080/cb`],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    await store.unmapService('c1', 'app');
    expect(await clients.metadata(host('c1', 'app'))).toBeUndefined();
    expect(await clients.owner(host('c1', 'app'))).toBeUndefined();
  });

  it('keeps its secret across repeated registrations; a new client after deletion gets a new one', async () => {
    await store.mapService(reg('c1'), svc('c1', 'app', 9), Date.now());
    expect(await clients.register(owner('c1', 'app'), { redirect_paths: ['/cb'] })).toBe(true);
    const first = await clients.credentials('c1', 'app', host('c1', 'app'));
    expect(await clients.register(owner('c1', 'app'), { redirect_paths: ['/cb'] })).toBe(false);
    expect(await clients.credentials('c1', 'app', host('c1', 'app'))).toEqual(first);
    expect(await clients.credentials('c2', 'app', host('c1', 'app'))).toBeNull();
    await clients.remove(host('c1', 'app'));
    expect(await clients.credentials('c1', 'app', host('c1', 'app'))).toBeNull();
    await clients.register(owner('c1', 'app'), { redirect_paths: ['/cb'] });
    const second = await clients.credentials('c1', 'app', host('c1', 'app'));
    expect(second?.client_secret).not.toBe(first?.client_secret);
  });

  it("deletes a container's clients with what they were issued, and the retention sweep does it too", async () => {
    vi.useFakeTimers();
    const t0 = Date.now();
    await store.mapService(reg('c1'), svc('c1', 'app', 9), t0);
    await clients.register(owner('c1', 'app'), { redirect_paths: ['/cb'] });
    await store.oidc.put('AccessToken', 't1', '{}', { ttlMs: 60_000, groups: ['container:c1'] });
    const stop = startRetention(store, 1_000, silentLogger, 5_000, (ids) =>
      Promise.all(ids.map((id) => clients.removeContainer(id))),
    );
    vi.setSystemTime(t0 + 10_000);
    await vi.advanceTimersByTimeAsync(5_000);
    stop();
    expect(await store.getContainer('c1')).toBeNull();
    expect(await clients.credentials('c1', 'app', host('c1', 'app'))).toBeNull();
    expect(await store.oidc.get('AccessToken', 't1')).toBeNull();
  });
});
