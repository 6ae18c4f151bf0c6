/** The keys the code writes are exactly the keys redis/README.md documents. */
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisPoolState } from '../../gateway/pool/pool-state-redis.ts';
import { RedisStore } from '../../gateway/store/redis.ts';
import { DOCUMENTED_PATTERNS } from '../../gateway/store/redis-keys.ts';
import { RedisVpnState } from '../../gateway/vpn/vpn-state-redis.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { reg, stats, svc } from './contract.ts';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const documentedInReadme = () => {
  const readme = readFileSync(new URL('../../redis/README.md', import.meta.url), 'utf8');
  return new Set([...readme.matchAll(/^\| `(dg:\{[^`]+)` \|/gm)].map((m) => m[1]));
};
const toPattern = (key: string) =>
  key
    .replace(/^(dg:\{rt\}:(?:container|services):).+$/, '$1<cid>')
    .replace(/^dg:\{c:[^}]+\}/, 'dg:{c:<cid>}')
    .replace(/^(dg:\{auth\}:code:).+$/, '$1<code>')
    .replace(/^(dg:\{oidc\}:(?:rec|uid)):[^:]+:.+$/, (_m, head: string) =>
      head.endsWith('rec') ? `${head}:<kind>:<id>` : `${head}:<kind>:<uid>`,
    )
    .replace(/^(dg:\{oidc\}:group:).+$/, '$1<group>');

it('documents every key pattern the code defines, and no other', () => {
  expect(documentedInReadme()).toEqual(new Set(DOCUMENTED_PATTERNS));
});

it('writes only documented keys, and all of them, through every store, VPN and pool state operation', async () => {
  const store = new RedisStore(redis.url);
  await store.mapService(reg('c1'), svc('c1', 'terminal', 7681), Date.now());
  await store.mapService(reg('c1'), svc('c1', 'web', 8080), Date.now());
  await store.recordWatchdog(reg('c1'), stats(), Date.now(), 45_000);
  await store.recordActivity(new Map([['c1', Date.now()]]));
  await store.recordWatchdog(reg('c2'), stats(), Date.now(), 45_000);
  await store.unmapService('c1', 'web');
  await store.putAuthCode('abc', '{}', 60_000);
  await store.oidc.put('Session', 's1', '{}', { ttlMs: 60_000, uid: 'u1', groups: ['client:a'] });
  await store.oidc.put('AccessToken', 't1', '{}', { ttlMs: 60_000, groups: ['grant:g1'] });
  await store.oidc.consume('AccessToken', 't1', Date.now());
  await store.mapService(reg('c3'), svc('c3', 'web', 8080), Date.now());
  await store.revokeContainer('c3');
  const vpn = new RedisVpnState(redis.url);
  await vpn.allocateAddress('c1');
  await vpn.allocateAddress('c2');
  await vpn.releaseAddress('c2');
  await vpn.setClientSerial('c1', '0a');
  await vpn.setClientSerial('c2', '0b');
  await vpn.revoke('c2');
  await vpn.savePki('pki');
  await vpn.close();
  const pool = new RedisPoolState(redis.url);
  const member = { backbone: null, vpnRemote: null, version: '0', startedAt: 1, draining: false };
  await pool.beat({ id: 'gw-a', ...member }, Date.now());
  await pool.beat({ id: 'gw-b', ...member }, Date.now());
  await pool.leave('gw-b');
  const epoch = await pool.setLocation('c1', 'gw-a', Date.now());
  await pool.clearLocation('c1', 'gw-a', epoch);
  await pool.setLocation('c2', 'gw-a', Date.now());
  await pool.close();
  const admin = new Redis(redis.url);
  const written = new Set((await admin.keys('*')).map(toPattern));
  await admin.quit();
  await store.close();
  expect(written).toEqual(documentedInReadme());
});
