/** The offline page tells a container that never reported (starting) from one that went silent (offline since). */
import { describe, expect, it } from 'vitest';
import { createDecider } from '../../gateway/proxy/decide.ts';
import { errorAnswer, type ProxyErrorInfo } from '../../gateway/proxy/pages.ts';
import { LivenessClock } from '../../gateway/routes/liveness.ts';
import { RouteCache } from '../../gateway/routes/route-cache.ts';
import { MemoryStore } from '../../gateway/store/memory.ts';
import { ErrorCode } from '../../shared/errors.ts';
import { DOMAIN, host, LIVENESS, reg, stats, svc, T0 } from '../store/fixtures.ts';

const HOUR = 3_600_000;

/** A memory store with c1's service `web`, a route cache and a decider at the given time. */
async function offlineDecision(beatAt: number | undefined): Promise<ProxyErrorInfo | undefined> {
  const store = new MemoryStore();
  await store.mapService(reg('c1'), svc('c1', 'web', 80), T0);
  if (beatAt !== undefined) await store.recordWatchdog(reg('c1'), stats(), beatAt, LIVENESS);
  const now = () => T0 + HOUR;
  const cache = new RouteCache(store, { ttlMs: 60_000, negativeTtlMs: 1000, maxEntries: 10, now });
  const decider = createDecider(cache, DOMAIN, new LivenessClock(LIVENESS, now));
  const decision = await decider.decide(host('c1', 'web'));
  await store.close();
  return 'error' in decision ? decision.error : undefined;
}

describe('offline page', () => {
  it('says "starting" for a container that never sent a watchdog', async () => {
    const info = await offlineDecision(undefined);
    expect(info).toMatchObject({ code: ErrorCode.ContainerOffline });
    expect(info?.lastSeen).toBeUndefined();
    const page = errorAnswer(info as ProxyErrorInfo, true);
    expect(page.status).toBe(503);
    expect(page.body).toContain('<title>Starting up…</title>');
    expect(page.body).toMatch(/is starting: it has not reported yet/);
    expect(page.body).not.toMatch(/offline since/);
  });

  it('says "offline since <time>" for a container seen, then silent', async () => {
    const info = await offlineDecision(T0);
    expect(info).toMatchObject({ code: ErrorCode.ContainerOffline, lastSeen: T0 });
    const page = errorAnswer(info as ProxyErrorInfo, true);
    expect(page.status).toBe(503);
    expect(page.headers['retry-after']).toBe('5');
    expect(page.body).toContain('<title>Offline</title>');
    expect(page.body).toContain('offline since 2023-11-14 22:13:20 UTC');
    expect(page.body).not.toMatch(/Starting up/);
    const json = JSON.parse(errorAnswer(info as ProxyErrorInfo, false).body);
    expect(json).toEqual({
      error: {
        code: 'GW_ERR_CONTAINER_OFFLINE',
        message: expect.stringContaining('offline since 2023-11-14'),
      },
    });
  });

  it('forwards to a container whose last watchdog is recent', async () => {
    expect(await offlineDecision(T0 + HOUR - 1000)).toBeUndefined();
  });
});
