/**
 * The VpnStateStore contract: every implementation (memory, Redis) runs these same cases.
 * `make(subnet)` returns a fresh, empty store over that subnet.
 */
import { describe, expect, it } from 'vitest';
import type { VpnStateStore } from '../../gateway/vpn/vpn-state.ts';

export function vpnStateContract(name: string, make: (subnet: string) => Promise<VpnStateStore>): void {
  describe(`VpnStateStore contract: ${name}`, () => {
    it('allocates idempotently per container and distinct across containers', async () => {
      const state = await make('172.16.0.0/16');
      const a = await state.allocateAddress('c1');
      expect(await state.allocateAddress('c1')).toBe(a);
      const b = await state.allocateAddress('c2');
      expect(b).not.toBe(a);
      expect([a, b]).not.toContain('172.16.0.1');
      expect(await state.addressOf('c1')).toBe(a);
      expect(await state.containerAt(b)).toBe('c2');
      expect(Object.fromEntries(await state.listAddresses())).toEqual({ c1: a, c2: b });
    });

    it('hands out distinct addresses to concurrent callers', async () => {
      const state = await make('172.16.0.0/16');
      const ids = Array.from({ length: 50 }, (_, i) => `c${i}`);
      const got = await Promise.all([...ids, ...ids].map((id) => state.allocateAddress(id)));
      expect(new Set(got).size).toBe(50);
      expect(got.slice(0, 50)).toEqual(got.slice(50));
    });

    it('never hands out network, gateway or broadcast, and exhausts with a clear error', async () => {
      const state = await make('10.9.8.0/29');
      const got = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => state.allocateAddress(id)));
      expect([...got].sort()).toEqual(['10.9.8.2', '10.9.8.3', '10.9.8.4', '10.9.8.5', '10.9.8.6']);
      await expect(state.allocateAddress('f')).rejects.toMatchObject({
        code: 'GW_ERR_ADDRESS_POOL_EXHAUSTED',
      });
      expect(await state.allocateAddress('c')).toBe(got[2]);
    });

    it('releases an address for reuse and forgets the container', async () => {
      const state = await make('10.9.8.0/29');
      for (const id of ['a', 'b', 'c', 'd', 'e']) await state.allocateAddress(id);
      const freed = await state.addressOf('b');
      expect(await state.releaseAddress('b')).toBe(true);
      expect(await state.releaseAddress('b')).toBe(false);
      expect(await state.addressOf('b')).toBeNull();
      expect(await state.containerAt(freed ?? '')).toBeNull();
      expect(await state.allocateAddress('f')).toBe(freed);
    });

    it('keeps only the newest serial and revokes it for good', async () => {
      const state = await make('172.16.0.0/16');
      expect(await state.clientSerial('c1')).toBeNull();
      await state.setClientSerial('c1', '0A:BC');
      await state.setClientSerial('c1', '7f01');
      expect(await state.clientSerial('c1')).toBe('7f01');
      expect(await state.isRevoked('c1')).toBe(false);
      expect(await state.revoke('c1')).toEqual(['7f01']);
      expect(await state.isRevoked('c1')).toBe(true);
      expect(await state.clientSerial('c1')).toBeNull();
      expect(await state.revoke('c2')).toEqual([]);
      expect(await state.isRevoked('c2')).toBe(true);
      expect(await state.revokedSerials()).toEqual(['7f01']);
    });

    it('keeps the first PKI written (first writer wins)', async () => {
      const state = await make('172.16.0.0/16');
      expect(await state.loadPki()).toBeNull();
      const [a, b] = await Promise.all([state.savePki('first'), state.savePki('second')]);
      expect(a).toBe(b);
      expect(await state.savePki('third')).toBe(a);
      expect(await state.loadPki()).toBe(a);
    });
  });
}
