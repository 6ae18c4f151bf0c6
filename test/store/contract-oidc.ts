/**
 * The OIDC provider's records, part of the store contract: what gateway/oidc/ relies on to share codes,
 * grants, sessions and tokens across a pool (single use, expiry, groups, uid lookup).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../gateway/store/store.ts';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs inside `storeContract`'s describe; `current()` is the store of the running case. */
export function oidcRecordsContract(current: () => Store): void {
  describe('OIDC provider records', () => {
    let store: Store;
    beforeEach(() => {
      store = current();
    });

    it('reads back what it wrote, by id and by uid, and nothing for another kind', async () => {
      await store.oidc.put('Session', 's1', '{"a":1}', { ttlMs: 60_000, uid: 'u1' });
      expect(await store.oidc.get('Session', 's1')).toEqual({ payload: '{"a":1}' });
      expect(await store.oidc.findByUid('Session', 'u1')).toEqual({ id: 's1', payload: '{"a":1}' });
      expect(await store.oidc.get('Grant', 's1')).toBeNull();
      expect(await store.oidc.findByUid('Grant', 'u1')).toBeNull();
      expect(await store.oidc.findByUid('Session', 'nope')).toBeNull();
    });

    it('consumes a record once: the second consume, and one of a missing record, say false', async () => {
      await store.oidc.put('AuthorizationCode', 'c1', '{}', { ttlMs: 60_000 });
      expect(await store.oidc.consume('AuthorizationCode', 'c1', 1234)).toBe(true);
      expect(await store.oidc.consume('AuthorizationCode', 'c1', 5678)).toBe(false);
      expect(await store.oidc.get('AuthorizationCode', 'c1')).toEqual({ payload: '{}', consumedAt: 1234 });
      expect(await store.oidc.consume('AuthorizationCode', 'missing', 1)).toBe(false);
      expect(await store.oidc.get('AuthorizationCode', 'missing')).toBeNull();
    });

    it('lets exactly one of racing consumers win', async () => {
      await store.oidc.put('AuthorizationCode', 'race', '{}', { ttlMs: 60_000 });
      const wins = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.oidc.consume('AuthorizationCode', 'race', i + 1)),
      );
      expect(wins.filter(Boolean)).toHaveLength(1);
    });

    it('forgets a record, and its uid, after its TTL', async () => {
      await store.oidc.put('Session', 'short', '{}', { ttlMs: 5, uid: 'short-uid' });
      await pause(30);
      expect(await store.oidc.get('Session', 'short')).toBeNull();
      expect(await store.oidc.findByUid('Session', 'short-uid')).toBeNull();
      expect(await store.oidc.consume('Session', 'short', 1)).toBe(false);
    });

    it('keeps a record without a TTL, and a rewrite makes it unconsumed again', async () => {
      await store.oidc.put('Client', 'k1', '{"v":1}', {});
      await store.oidc.consume('Client', 'k1', 1);
      await store.oidc.put('Client', 'k1', '{"v":2}', {});
      expect(await store.oidc.get('Client', 'k1')).toEqual({ payload: '{"v":2}' });
    });

    it('deletes a record, and every member of a group at once, leaving other groups alone', async () => {
      await store.oidc.put('AccessToken', 't1', '{}', { ttlMs: 60_000, groups: ['grant:g1', 'client:a'] });
      await store.oidc.put('AuthorizationCode', 'c1', '{}', { ttlMs: 60_000, groups: ['grant:g1'] });
      await store.oidc.put('AccessToken', 't2', '{}', { ttlMs: 60_000, groups: ['grant:g2', 'client:b'] });
      await store.oidc.put('Client', 'a', '{}', { groups: ['client:a'] });
      expect(await store.oidc.deleteGroup('grant:g1')).toBe(2);
      expect(await store.oidc.get('AccessToken', 't1')).toBeNull();
      expect(await store.oidc.get('AuthorizationCode', 'c1')).toBeNull();
      expect(await store.oidc.get('AccessToken', 't2')).not.toBeNull();
      // t1 is gone already; the client record goes with its group.
      expect(await store.oidc.deleteGroup('client:a')).toBe(1);
      expect(await store.oidc.get('Client', 'a')).toBeNull();
      expect(await store.oidc.deleteGroup('client:a')).toBe(0);
      await store.oidc.delete('AccessToken', 't2');
      expect(await store.oidc.get('AccessToken', 't2')).toBeNull();
    });
  });
}
