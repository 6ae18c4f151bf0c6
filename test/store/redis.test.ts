import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisStore } from '../../gateway/store/redis.ts';
import { ErrorCode, type GatewayError } from '../../shared/errors.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { reg, stats, storeContract } from './contract.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

storeContract('redis', async () => {
  const store = new RedisStore(redis.url);
  await store.ping();
  return {
    store,
    dispose: async () => {
      const { Redis } = await import('ioredis');
      const admin = new Redis(redis.url);
      await admin.flushall();
      admin.disconnect();
    },
  };
});

it('refuses a revoked container on a gateway that remembers it (and so skips touch_container.lua)', async () => {
  const [revoking, remembering] = [new RedisStore(redis.url), new RedisStore(redis.url)];
  try {
    await remembering.recordWatchdog(reg('c7'), stats(), Date.now(), 45_000);
    await revoking.revokeContainer('c7');
    const err = await remembering
      .recordWatchdog(reg('c7'), stats(), Date.now(), 45_000)
      .catch((e: GatewayError) => e);
    expect((err as GatewayError).code).toBe(ErrorCode.ContainerRevoked);
    expect(await remembering.health('c7')).toMatchObject({ lastWatchdog: null, stats: null });
    expect(await remembering.statsHistory('c7')).toEqual([]);
    expect(await remembering.getContainer('c7')).toBeNull();
  } finally {
    await Promise.all([revoking.close(), remembering.close()]);
  }
});
