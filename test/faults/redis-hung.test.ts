/**
 * Redis hung (issue 15): a server stopped with SIGSTOP, and one busy in DEBUG SLEEP, keep their
 * connections open and answer nothing. Cached hostnames are served, unknown ones and events answer 503
 * with Retry-After within about the deadline (STORE_TIMEOUT, 1 s), /readyz answers 503 at once, and the
 * gateway logs the outage and the recovery.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  beatAll,
  CONTAINERS,
  type FaultFixture,
  hostOf,
  legacyWatchdogBody,
  runLoad,
  sleep,
  startFaultFixture,
  storeLines,
  UNKNOWN_HOST,
  within,
} from './redis-fixture.ts';

/** What must hold while the store hangs: served, refused fast, and said so. */
async function duringTheHang(f: FaultFixture) {
  const unknown = await f.get(UNKNOWN_HOST);
  expect(unknown).toMatchObject({ status: 503, code: 'GW_ERR_STORE_UNAVAILABLE', retryAfter: '5' });
  expect(unknown.ms).toBeLessThan(1_800); // the deadline (1 s) and no more; it used to hang
  const event = await f.event('f1', legacyWatchdogBody());
  expect(event).toMatchObject({ status: 503, code: 'GW_ERR_STORE_UNAVAILABLE', retryAfter: '5' });
  expect(event.ms).toBeLessThan(1_800);
  // The health check (a PING under the same deadline) notices; /readyz never waits on the store.
  expect(await within(3_000, async () => (await f.readyz()).status === 503)).toBeDefined();
  const ready = await f.readyz();
  expect(ready.status).toBe(503);
  expect(ready.ms).toBeLessThan(500);
  // Known down: an unknown hostname is refused without waiting on the store.
  expect((await f.get(UNKNOWN_HOST)).ms).toBeLessThan(500);
}

describe('Redis hung (Node)', () => {
  let f: FaultFixture;
  beforeEach(async () => {
    f = await startFaultFixture('node');
  });
  afterEach(async () => {
    f?.redis.resume();
    await f?.stop();
  });

  it('SIGSTOP: serves cached hostnames, refuses the rest within the deadline, recovers on SIGCONT', async () => {
    await beatAll(f);
    const load = runLoad(f, CONTAINERS.map(hostOf), 5_000);
    await sleep(300);
    f.redis.pause();
    await duringTheHang(f);
    const seen = await load;
    expect(seen.codes).toEqual({});
    expect(seen.byStatus).toEqual({ 200: seen.total });
    expect(seen.slowestMs).toBeLessThan(2_500); // a load that met the deadline, then the cache

    f.redis.resume();
    expect(
      await within(3_000, async () => (await f.event('f1', legacyWatchdogBody())).status === 200),
    ).toBeDefined();
    expect(await within(3_000, async () => (await f.readyz()).status === 200)).toBeDefined();
    const lines = storeLines(f).map((l) => l.msg);
    // Failed commands may show it degraded first; it is down once and back once.
    expect(lines.filter((m) => m === 'store down')).toHaveLength(1);
    expect(lines.at(-1)).toBe('store back');
    expect(storeLines(f).at(-1)).toMatchObject({ reason: 'timeout' });
    expect(lines).not.toContain('store reconciled'); // the feed's connection never dropped: nothing missed
  }, 60_000);

  it('DEBUG SLEEP: the same while the server is busy, and back when it wakes', async () => {
    const sleeper = new Redis(f.redis.url);
    sleeper.on('error', () => {});
    await beatAll(f);
    const load = runLoad(f, CONTAINERS.map(hostOf), 4_000);
    await sleep(300);
    const asleep = sleeper.call('debug', 'sleep', '5');
    await sleep(100);
    await duringTheHang(f);
    const seen = await load;
    expect(seen.codes).toEqual({});
    expect(seen.byStatus).toEqual({ 200: seen.total });
    await asleep;
    sleeper.disconnect();
    expect(await within(3_000, async () => (await f.readyz()).status === 200)).toBeDefined();
    const lines = storeLines(f).map((l) => l.msg);
    expect(lines.filter((m) => m === 'store down')).toHaveLength(1);
    expect(lines.at(-1)).toBe('store back');
  }, 60_000);
});
