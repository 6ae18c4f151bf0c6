/**
 * Sentinel (issue 16): the primary killed under load of cached hostnames, and the subscriber connection
 * alone killed. Cached hosts are served with zero failures, writes resume within about 8 s, and the
 * gateway reconciles its route cache once (at most twice during a failover, changing no route).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSentinel, type TestSentinel } from '../support/redis-sentinel.ts';
import { sleep, within } from './redis-fixture.ts';
import { type HaFixture, startHaFixture, writesResume } from './redis-ha-fixture.ts';

const reconciled = (f: HaFixture) => f.storeLines().filter((l) => l.msg === 'store reconciled');

describe('Redis Sentinel failover (Node)', () => {
  let sentinel: TestSentinel;
  let f: HaFixture;
  beforeAll(async () => {
    sentinel = await startSentinel();
    f = await startHaFixture(sentinel.env);
  }, 40_000);
  afterAll(async () => {
    await f?.stop();
    await sentinel?.stop();
  });

  it('reconciles once when only the subscriber connection is killed (CLIENT KILL TYPE pubsub)', async () => {
    const before = reconciled(f).length;
    const admin = sentinel.admin(await sentinel.primaryPort());
    expect(Number(await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub'))).toBeGreaterThanOrEqual(1);
    admin.disconnect();
    await writesResume(f, 2_000); // a write publishes: the feed is live again
    for (let i = 0; i < 30 && reconciled(f).length === before; i++) await sleep(100);
    await sleep(1_500); // a second reconcile, if any, would have logged by now
    const after = reconciled(f).slice(before);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ changed: 0 });
  }, 30_000);

  it('serves cached hosts with zero failures while the primary is killed; writes resume; no reconcile storm', async () => {
    const before = reconciled(f).length;
    const primary = await sentinel.primaryPort();
    await f.beatAll();
    const load = f.load(8_000);
    await sleep(500);
    await sentinel.killData(primary);
    const killedAt = Date.now();
    const resumedMs = await writesResume(f, 15_000);
    expect(resumedMs).toBeDefined();
    console.log(`sentinel: writes resumed ${resumedMs} ms after the primary was killed`);
    // The sentinel asked may learn of the promotion a moment after the gateway's client found it (the
    // sentinels converge by their hello messages; seen once in CI: writes back at 2.2 s, that sentinel not).
    expect(await within(5_000, async () => (await sentinel.primaryPort()) !== primary)).toBeDefined();
    const seen = await load;
    expect(seen.codes).toEqual({});
    expect(seen.byStatus).toEqual({ 200: seen.total });
    expect(seen.total).toBeGreaterThan(100);
    // The reconcile follows the subscriber's reconnect; on a loaded machine that can be seconds after the load.
    for (let i = 0; i < 150 && reconciled(f).length === before; i++) await sleep(100);
    await sleep(3_000); // later +switch-master messages from the other sentinels, if they cause another
    const after = reconciled(f).slice(before);
    console.log(`sentinel: reconciles ${JSON.stringify(after)} (${Date.now() - killedAt} ms after the kill)`);
    // Each time the change-feed subscriber is subscribed again the version is checked (a reconcile line).
    // During a failover it can be subscribed twice: to the promoted node, then again on +switch-master
    // (seen in 1 of 8 runs: two lines 280 ms apart, both "from 3 to 3, checked 0"). No storm, and no route
    // changed.
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(after.length).toBeLessThanOrEqual(2);
    for (const line of after) expect(line).toMatchObject({ changed: 0 });
  }, 60_000);
});
