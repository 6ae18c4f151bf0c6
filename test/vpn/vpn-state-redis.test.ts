import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisKeys as K } from '../../gateway/store/redis-keys.ts';
import { RedisVpnState } from '../../gateway/vpn/vpn-state-redis.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { vpnStateContract } from './vpn-state.contract.ts';

let redis: TestRedis;
let admin: Redis;
const open: RedisVpnState[] = [];

beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url);
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((state) => state.close()));
  await admin.flushall();
});
afterAll(async () => {
  admin?.disconnect();
  await redis?.stop();
});

const gateway = (subnet = '172.16.0.0/16') => {
  const state = new RedisVpnState(redis.url, subnet);
  open.push(state);
  return state;
};

vpnStateContract('redis', async (subnet) => gateway(subnet));

describe('RedisVpnState across gateways', () => {
  it('gives 50 containers distinct addresses when two gateways race, the same one from both', async () => {
    const [a, b] = [gateway(), gateway()];
    const ids = Array.from({ length: 50 }, (_, i) => `c${i}`);
    const [fromA, fromB] = await Promise.all([
      Promise.all(ids.map((id) => a.allocateAddress(id))),
      Promise.all(ids.map((id) => b.allocateAddress(id))),
    ]);
    expect(new Set(fromA).size).toBe(50);
    expect(fromB).toEqual(fromA);
    const listed = await b.listAddresses();
    expect(listed.size).toBe(50);
    for (const [i, id] of ids.entries()) expect(await a.containerAt(fromA[i] ?? '')).toBe(id);
  });

  it('keeps every piece of state for a new connection (a gateway restart)', async () => {
    const before = gateway('10.9.8.0/29');
    const address = await before.allocateAddress('c1');
    await before.allocateAddress('c2');
    await before.releaseAddress('c2');
    await before.setClientSerial('c1', '0A:BC');
    await before.setClientSerial('c3', '7f01');
    await before.revoke('c3');
    await before.savePki('pki-blob');
    await before.close();

    const after = gateway('10.9.8.0/29');
    expect(await after.addressOf('c1')).toBe(address);
    expect(await after.containerAt(address)).toBe('c1');
    expect(await after.clientSerial('c1')).toBe('abc');
    expect(await after.isRevoked('c3')).toBe(true);
    expect(await after.revokedSerials()).toEqual(['7f01']);
    expect(await after.loadPki()).toBe('pki-blob');
    // The cursor survives too: the address c2 released is reused last (next-fit), not at once.
    expect(await after.allocateAddress('c4')).toBe('10.9.8.4');
  });

  it('writes its state only under the {vpn} hash tag', async () => {
    const state = gateway();
    await state.allocateAddress('c1');
    await state.setClientSerial('c1', '01');
    await state.setClientSerial('c2', '02');
    await state.revoke('c2');
    await state.savePki('pki');
    expect((await admin.keys('*')).sort()).toEqual(
      [
        K.vpnAddresses,
        K.vpnAddressOwners,
        K.vpnCursor,
        K.vpnSerials,
        K.vpnRevokedSerials,
        K.vpnRevokedContainers,
        K.vpnPki,
      ].sort(),
    );
  });

  it('fails with GW_ERR_STORE_UNAVAILABLE when Redis does not answer', async () => {
    const state = new RedisVpnState('redis://127.0.0.1:1', '172.16.0.0/16');
    open.push(state);
    await expect(state.allocateAddress('c1')).rejects.toMatchObject({ code: 'GW_ERR_STORE_UNAVAILABLE' });
    await expect(state.isRevoked('c1')).rejects.toMatchObject({ code: 'GW_ERR_STORE_UNAVAILABLE' });
  });

  it('works over a shared connection and leaves it open on close', async () => {
    const shared = new Redis(redis.url);
    const state = new RedisVpnState(shared);
    const address = await state.allocateAddress('c1');
    await state.close();
    expect(await shared.hget(K.vpnAddresses, 'c1')).toBe(address);
    shared.disconnect();
  });
});
