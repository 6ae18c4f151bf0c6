/** Address allocation and revocation wait for a replica: acknowledged with one, timed out with a silent one, skipped without. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/log.ts';
import { RedisStore } from '../../gateway/store/redis.ts';
import { ReplicaWaits } from '../../gateway/store/redis-replica-wait.ts';
import { RedisVpnState } from '../../gateway/vpn/vpn-state-redis.ts';
import { startSentinel, type TestSentinel } from '../support/redis-sentinel.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';

describe('replica waits', () => {
  let sentinel: TestSentinel;
  let single: TestRedis;
  beforeAll(async () => {
    [sentinel, single] = await Promise.all([startSentinel(), startRedis()]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([sentinel?.stop(), single?.stop()]);
  });

  it('with a replica: allocation and both revocations are acknowledged by it', async () => {
    const waits = new ReplicaWaits();
    const vpn = new RedisVpnState(sentinel.target, '172.16.0.0/16', 1_000, waits);
    const store = new RedisStore(sentinel.target, { replicaWaits: waits });
    try {
      const address = await vpn.allocateAddress('w1');
      await vpn.revoke('w1');
      await store.revokeContainer('w1');
      expect(Object.fromEntries(waits.counts)).toEqual({ acknowledged: 3, no_replica: 0, timed_out: 0 });
      // The replica holds the address already.
      const replica = sentinel.admin(sentinel.dataPorts.find((p) => p !== sentinel.dataPorts[0]) as number);
      expect(await replica.hget('dg:{vpn}:addresses', 'w1')).toBe(address);
      replica.disconnect();
      expect(waits.render()).toContain('gateway_store_replica_wait_total{outcome="acknowledged"} 3');
    } finally {
      await Promise.all([vpn.close(), store.close()]);
    }
  });

  it('with a replica that does not answer in time: the write stands, one warning, counted as timed_out', async () => {
    const lines: string[] = [];
    const waits = new ReplicaWaits(createLogger('info', (l) => lines.push(l)));
    const vpn = new RedisVpnState(sentinel.target, '172.16.0.0/16', 300, waits);
    const replicaPort = sentinel.dataPorts.find((p) => p !== sentinel.dataPorts[0]) as number;
    const replica = sentinel.admin(replicaPort);
    try {
      // The replica's event loop blocked for 1.5 s: it stays connected but acknowledges nothing.
      await replica.ping();
      const asleep = replica.call('DEBUG', 'SLEEP', '1.5');
      await new Promise((resolve) => setTimeout(resolve, 100)); // the sleep has begun before the write
      const address = await vpn.allocateAddress('w3');
      await asleep;
      expect(Object.fromEntries(waits.counts)).toEqual({ acknowledged: 0, no_replica: 0, timed_out: 1 });
      const primary = sentinel.admin(sentinel.dataPorts[0] as number);
      expect(await primary.hget('dg:{vpn}:addresses', 'w3')).toBe(address);
      primary.disconnect();
      const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 'warn');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({
        msg: 'store write not confirmed by a replica',
        outcome: 'timed_out',
      });
      expect(waits.render()).toContain('gateway_store_replica_wait_total{outcome="timed_out"} 1');
    } finally {
      replica.disconnect();
      await vpn.close();
    }
  });

  it('without a replica: WAIT is skipped (no wait), the writes stand', async () => {
    const waits = new ReplicaWaits();
    const vpn = new RedisVpnState(single.url, '172.16.0.0/16', 1_000, waits);
    try {
      expect(await vpn.allocateAddress('w2')).toMatch(/^172\.16\./);
      expect(Object.fromEntries(waits.counts)).toEqual({ acknowledged: 0, no_replica: 1, timed_out: 0 });
    } finally {
      await vpn.close();
    }
  });
});
