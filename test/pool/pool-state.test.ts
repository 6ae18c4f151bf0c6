/** The pool state contract on both implementations: memory (on a MemoryStore's feed) and a real redis-server. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { MemoryPoolState } from '../../gateway/pool/pool-state-memory.ts';
import { RedisPoolState } from '../../gateway/pool/pool-state-redis.ts';
import { MemoryStore } from '../../gateway/store/memory.ts';
import { RedisStore } from '../../gateway/store/redis.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { poolStateContract } from './pool-state-contract.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

poolStateContract('memory', async () => {
  const store = new MemoryStore();
  return { state: new MemoryPoolState(store), store, dispose: () => store.close() };
});

poolStateContract('redis', async () => {
  const admin = new Redis(redis.url);
  await admin.flushall();
  admin.disconnect();
  const store = new RedisStore(redis.url);
  const state = new RedisPoolState(redis.url);
  return {
    state,
    store,
    async dispose() {
      await state.close();
      await store.close();
    },
  };
});
