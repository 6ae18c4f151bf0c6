import { describe, expect, it } from 'vitest';
import { isContainerAddress, nextFreeAddress, parseSubnet } from '../../gateway/vpn/ipam.ts';

describe('ipam', () => {
  it('parses the default subnet: gateway .1, mask, capacity', () => {
    const s = parseSubnet('172.16.0.0/16');
    expect(s).toMatchObject({ network: '172.16.0.0', netmask: '255.255.0.0', gateway: '172.16.0.1' });
    expect(s.capacity).toBe(65533);
    expect(isContainerAddress(s, '172.16.0.2')).toBe(true);
    expect(isContainerAddress(s, '172.16.255.254')).toBe(true);
    for (const no of ['172.16.0.0', '172.16.0.1', '172.16.255.255', '172.17.0.2', 'x']) {
      expect(isContainerAddress(s, no)).toBe(false);
    }
  });

  it('refuses bad subnets with an error naming VPN_SUBNET', () => {
    for (const bad of ['172.16.0.1/16', '172.16.0.0', '300.1.0.0/16', '10.0.0.0/30', '10.0.0.0/7', '']) {
      expect(() => parseSubnet(bad)).toThrow(/VPN_SUBNET/);
    }
  });

  it('picks the next free address from the cursor and wraps around', () => {
    const s = parseSubnet('10.1.1.0/29');
    const taken = new Set(['10.1.1.2', '10.1.1.5']);
    expect(nextFreeAddress(s, (a) => taken.has(a))).toBe('10.1.1.3');
    expect(nextFreeAddress(s, (a) => taken.has(a), s.last)).toBe('10.1.1.6');
    taken.add('10.1.1.6');
    expect(nextFreeAddress(s, (a) => taken.has(a), s.last)).toBe('10.1.1.3');
  });

  it('throws GW_ERR_ADDRESS_POOL_EXHAUSTED when full', () => {
    const s = parseSubnet('10.1.1.0/29');
    expect(() => nextFreeAddress(s, () => true)).toThrow(
      expect.objectContaining({ code: 'GW_ERR_ADDRESS_POOL_EXHAUSTED' }),
    );
  });
});
