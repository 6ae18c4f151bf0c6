/** Both store implementations, for suites that run once per store: memory, and Redis emptied first. */
import { MemoryStore } from '../../gateway/store/memory.ts';
import { RedisStore } from '../../gateway/store/redis.ts';
import type { Store } from '../../gateway/store/store.ts';

/** `[name, make]` pairs; `redisUrl` is read when a store is made (the server starts in a beforeAll). */
export const storeKinds = (redisUrl: () => string): (readonly [string, () => Promise<Store>])[] => [
  ['memory', async () => new MemoryStore()],
  [
    'redis',
    async () => {
      const { Redis } = await import('ioredis');
      const admin = new Redis(redisUrl());
      await admin.flushall();
      admin.disconnect();
      return new RedisStore(redisUrl());
    },
  ],
];
