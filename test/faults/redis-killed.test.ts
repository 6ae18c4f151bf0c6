/**
 * Redis killed under proxy load, then restarted on the same port with its data (issue 15): cached
 * hostnames are served throughout, everything else answers 503 GW_ERR_STORE_UNAVAILABLE with Retry-After
 * at once, /readyz says so at once, and the gateway logs the outage once and reconciles once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { RedisStore } from '../../gateway/store/redis.ts';
import type { Route } from '../../gateway/store/store.ts';
import {
  beatAll,
  CONTAINERS,
  type FaultFixture,
  hostOf,
  legacyWatchdogBody,
  mapBody,
  runLoad,
  sleep,
  startFaultFixture,
  storeLines,
  UNKNOWN_HOST,
  within,
} from './redis-fixture.ts';

describe('Redis killed, then restarted (Node)', () => {
  let f: FaultFixture;
  let routesBefore: Route[];
  let versionBefore: number;
  /** Open through the outage and the reconcile: its route never changed. */
  let ws: WebSocket;
  const echo = (text: string) =>
    new Promise<string>((resolve, reject) => {
      ws.once('message', (data) => resolve(String(data)));
      ws.send(text, (err) => err && reject(err));
      setTimeout(() => reject(new Error('no echo in 5 s')), 5_000).unref();
    });
  beforeAll(async () => {
    f = await startFaultFixture('node', { persistent: true });
    const store = new RedisStore(f.redis.url);
    [routesBefore, versionBefore] = [await store.listRoutes(), await store.routesVersion()];
    await store.close();
    ws = new WebSocket(`ws://127.0.0.1:${f.gw.port}/`, { headers: { host: hostOf('f3') } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  });
  afterAll(async () => {
    ws?.terminate();
    await f?.stop();
  });

  it('serves cached hostnames under load with zero failures while Redis is dead; the rest fails fast', async () => {
    const hosts = CONTAINERS.map(hostOf);
    // About 5 s of load; Redis dies 0.5 s in, so the outage outlives the cache TTL and the liveness timeout.
    await beatAll(f);
    const load = runLoad(f, hosts, 5_000);
    await sleep(500);
    await f.redis.kill();

    // /readyz answers at once, and says 503 as soon as the gateway noticed (the connection dropped).
    const noticed = await within(2_000, async () => (await f.readyz()).status === 503);
    expect(noticed).toBeDefined();
    const ready = await f.readyz();
    expect(ready).toMatchObject({ status: 503 });
    expect(ready.ms).toBeLessThan(500);

    for (let i = 0; i < 3; i++) {
      const unknown = await f.get(UNKNOWN_HOST);
      expect(unknown).toMatchObject({ status: 503, code: 'GW_ERR_STORE_UNAVAILABLE', retryAfter: '5' });
      expect(unknown.ms).toBeLessThan(1_000);
      const event = await f.event('f1', legacyWatchdogBody());
      expect(event).toMatchObject({ status: 503, code: 'GW_ERR_STORE_UNAVAILABLE', retryAfter: '5' });
      expect(event.ms).toBeLessThan(1_000);
    }
    expect(await f.metrics()).toContain('gateway_store_up 0');
    expect(await echo('during the outage')).toBe('during the outage');
    // Redeeming a sign-in code needs the store: a 503 like the rest (it used to reject unhandled).
    const callback = await f.signInCallback(hostOf('f1'));
    expect(callback).toMatchObject({ status: 503, code: 'GW_ERR_STORE_UNAVAILABLE', retryAfter: '5' });

    const seen = await load;
    expect(seen.codes).toEqual({});
    expect(seen.byStatus).toEqual({ 200: seen.total });
    expect(seen.total).toBeGreaterThan(100);
    // Past the liveness timeout (3 s) with no watchdog recorded: still served (not "offline").
    expect((await f.get(hostOf('f2'))).status).toBe(200);
    // The outage outlived the cache TTL: those answers were stale, and counted.
    const stale = /^gateway_route_cache_stale_total (\d+)$/m.exec(await f.metrics());
    expect(Number(stale?.[1])).toBeGreaterThan(0);

    const lines = storeLines(f);
    expect(lines.map((l) => l.msg)).toEqual(['store down']);
    expect(lines[0]).toMatchObject({ level: 'warn', reason: 'disconnected' });
    // Failed events are not logged one by one.
    expect(f.logs().filter((l) => l.msg === 'request failed')).toEqual([]);
  }, 60_000);

  it('accepts events again within 2 s of a restart, with the route table intact and one reconcile', async () => {
    await f.redis.restart();
    const accepted = await within(
      2_000,
      async () => (await f.event('f1', legacyWatchdogBody())).status === 200,
    );
    expect(accepted).toBeDefined();
    // The same registration again changes nothing: no route lost, none duplicated, no version bump.
    expect((await f.event('f2', mapBody('web', f.upstream.port))).status).toBe(200);
    const store = new RedisStore(f.redis.url);
    expect(await store.listRoutes()).toEqual(routesBefore);
    expect(await store.routesVersion()).toBe(versionBefore);
    await store.close();

    expect(
      await within(3_000, async () => storeLines(f).some((l) => l.msg === 'store reconciled')),
    ).toBeDefined();
    await sleep(1_500); // a second reconcile, if any, would have logged by now
    const lines = storeLines(f);
    expect(lines.map((l) => l.msg)).toEqual(['store down', 'store back', 'store reconciled']);
    expect(lines[1]).toMatchObject({ level: 'info', reason: 'disconnected' });
    expect(lines[1]?.awayMs).toBeGreaterThan(1_000);
    expect(lines[2]).toMatchObject({ from: versionBefore, to: versionBefore, changed: 0 });
    expect((await f.readyz()).status).toBe(200);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(await echo('still here')).toBe('still here');
    // Containers beat again (every 15 s in life) and are served as before.
    for (const c of CONTAINERS) expect((await f.event(c, legacyWatchdogBody())).status).toBe(200);
    for (const c of CONTAINERS) expect(await f.get(hostOf(c))).toMatchObject({ status: 200 });
  }, 60_000);
});
