/**
 * A cached hostname through a Redis outage on every runtime (the store code is shared, the adapters
 * differ): served past its cache TTL and its container's liveness timeout, while an unknown hostname
 * answers 503 GW_ERR_STORE_UNAVAILABLE with Retry-After at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNTIMES } from '../support/gateway-process.ts';
import {
  beatAll,
  CONTAINERS,
  type FaultFixture,
  hostOf,
  runLoad,
  startFaultFixture,
  storeLines,
  UNKNOWN_HOST,
  within,
} from './redis-fixture.ts';

describe.each(RUNTIMES)('a cached hostname while Redis is dead (%s)', (runtime) => {
  let f: FaultFixture;
  beforeAll(async () => {
    f = await startFaultFixture(runtime);
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('is served throughout; an unknown one answers 503 with Retry-After', async () => {
    await beatAll(f);
    await f.redis.kill();
    expect(await within(2_000, async () => (await f.readyz()).status === 503)).toBeDefined();
    const unknown = await f.get(UNKNOWN_HOST);
    expect(unknown).toMatchObject({ status: 503, code: 'GW_ERR_STORE_UNAVAILABLE', retryAfter: '5' });
    expect(unknown.ms).toBeLessThan(1_000);
    // 4 s: past the cache TTL (300 ms) and the liveness timeout (3 s).
    const seen = await runLoad(f, CONTAINERS.map(hostOf), 4_000, 2);
    expect(seen.codes).toEqual({});
    expect(seen.byStatus).toEqual({ 200: seen.total });
    expect(storeLines(f)).toMatchObject([{ msg: 'store down', reason: 'disconnected' }]);
  }, 60_000);
});
