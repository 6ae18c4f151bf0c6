/** The store contract on a real Sentinel setup and a real three-master Cluster (test/support). */
import { afterAll, beforeAll, describe } from 'vitest';
import { RedisStore } from '../../gateway/store/redis.ts';
import { startCluster, type TestCluster } from '../support/redis-cluster.ts';
import { startSentinel, type TestSentinel } from '../support/redis-sentinel.ts';
import { storeContract } from './contract.ts';

describe('on Sentinel', () => {
  let sentinel: TestSentinel;
  beforeAll(async () => {
    sentinel = await startSentinel();
  }, 30_000);
  afterAll(async () => {
    await sentinel?.stop();
  });
  storeContract('redis sentinel', async () => {
    const store = new RedisStore(sentinel.target);
    await store.ping();
    return {
      store,
      dispose: async () => {
        const admin = sentinel.admin(await sentinel.primaryPort());
        await admin.flushall();
        admin.disconnect();
      },
    };
  });
});

describe('on Cluster', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startCluster();
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
  });
  storeContract('redis cluster', async () => {
    const store = new RedisStore(cluster.target);
    await store.ping();
    return {
      store,
      dispose: async () => {
        // FLUSHALL on every master (replicas follow; a replica refuses it).
        await Promise.all(
          cluster.ports.map(async (port) => {
            const admin = cluster.admin(port);
            await admin.flushall().catch(() => undefined);
            admin.disconnect();
          }),
        );
      },
    };
  });
});
