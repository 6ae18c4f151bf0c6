import { afterAll, beforeAll } from 'vitest';
import { RedisStore } from '../../gateway/store/redis.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { storeContract } from './contract.ts';

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
