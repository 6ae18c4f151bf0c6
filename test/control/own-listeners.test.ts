/** Which (address, port) pairs are the gateway's own listeners, in every spelling an address can take. */
import type { NetworkInterfaceInfo } from 'node:os';
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import { canonicalAddress, ownListeners } from '../../gateway/control/own-listeners.ts';

const info = (address: string): NetworkInterfaceInfo =>
  ({ address, family: address.includes(':') ? 'IPv6' : 'IPv4' }) as NetworkInterfaceInfo;
const machine = {
  lo: [info('127.0.0.1'), info('::1')],
  eth0: [info('10.1.2.3'), info('fe80::1'), info('2001:db8::7')],
};
const base = { publicPort: 8080, adminPort: 9090 };

describe('own listeners', () => {
  it('spells each address one way', () => {
    expect(canonicalAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(canonicalAddress('::FFFF:7F00:1')).toBe('127.0.0.1');
    expect(canonicalAddress('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(canonicalAddress('2001:DB8:0::7')).toBe('2001:db8::7');
    expect(canonicalAddress('0.0.0.0')).toBe('127.0.0.1');
    expect(canonicalAddress('::')).toBe('::1');
    expect(canonicalAddress('203.0.113.5')).toBe('203.0.113.5');
  });

  it('public listener on every address (HOST 0.0.0.0): every local address, and the admin on 127.0.0.1', () => {
    const own = ownListeners({ ...base, publicHost: '0.0.0.0' }, machine);
    const table: [string, number[]][] = [
      ['127.0.0.1', [8080, 9090]],
      ['::ffff:127.0.0.1', [8080, 9090]],
      ['::ffff:7f00:1', [8080, 9090]],
      ['0.0.0.0', [8080, 9090]],
      ['127.0.0.5', [8080]],
      ['::1', [8080]],
      ['::', [8080]],
      ['0:0:0:0:0:0:0:1', [8080]],
      ['10.1.2.3', [8080]],
      ['::ffff:10.1.2.3', [8080]],
      ['fe80::1%eth0', [8080]],
      ['2001:db8:0:0::7', [8080]],
      ['10.1.2.4', []],
      ['203.0.113.5', []],
      ['2001:db8::8', []],
    ];
    for (const [address, ports] of table) expect(own.portsAt(address), address).toEqual(ports);
  });

  it('public listener on one address: that address only', () => {
    const own = ownListeners({ ...base, publicHost: '127.0.0.1' }, machine);
    expect(own.portsAt('127.0.0.1')).toEqual([8080, 9090]);
    expect(own.portsAt('127.0.0.5')).toEqual([]);
    expect(own.portsAt('10.1.2.3')).toEqual([]);
    expect(ownListeners({ ...base, publicHost: '::' }, machine).portsAt('10.1.2.3')).toEqual([8080]);
    // A name could resolve to any local address.
    expect(ownListeners({ ...base, publicHost: 'localhost' }, machine).portsAt('10.1.2.3')).toEqual([8080]);
  });

  it('admin listener on ADMIN_HOST: that address, or every local address for a wildcard', () => {
    const one = ownListeners({ ...base, publicHost: '127.0.0.1', adminHost: '10.1.2.3' }, machine);
    expect(one.portsAt('10.1.2.3')).toEqual([9090]);
    expect(one.portsAt('::ffff:10.1.2.3')).toEqual([9090]);
    expect(one.portsAt('127.0.0.1')).toEqual([8080]);
    const every = ownListeners({ ...base, publicHost: '127.0.0.1', adminHost: '0.0.0.0' }, machine);
    expect(every.portsAt('10.1.2.3')).toEqual([9090]);
    expect(every.portsAt('2001:db8::7')).toEqual([9090]);
    expect(every.portsAt('127.0.0.1')).toEqual([8080, 9090]);
    expect(every.portsAt('203.0.113.5')).toEqual([]);
  });

  it('with the VPN on, its listener on port 80 at the gateway VPN address', () => {
    const own = ownListeners({ ...base, publicHost: '0.0.0.0', vpnAddress: '172.16.0.1' }, machine);
    expect(own.portsAt('172.16.0.1')).toEqual([8080, 80]);
    expect(own.portsAt('172.16.0.2')).toEqual([]);
    expect(
      ownListeners({ ...base, publicHost: '127.0.0.1', vpnAddress: '172.16.0.1' }, machine).portsAt(
        '172.16.0.1',
      ),
    ).toEqual([80]);
  });

  it("reads this machine's interfaces by default", () => {
    const own = ownListeners({ ...base, publicHost: '0.0.0.0' });
    for (const list of Object.values(networkInterfaces()))
      for (const { address } of list ?? []) expect(own.portsAt(address), address).toContain(8080);
  });
});
