import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTunnelProbe, ipv4FromIpJson } from '../../images/agent/tunnel.ts';

const UP = JSON.stringify([
  {
    ifindex: 5,
    ifname: 'tun0',
    flags: ['POINTOPOINT', 'UP'],
    addr_info: [{ family: 'inet', local: '172.16.7.20', prefixlen: 16 }],
  },
]);

describe('ipv4FromIpJson', () => {
  it('finds the IPv4 address of `ip -j addr show` output', () => {
    expect(ipv4FromIpJson(UP)).toBe('172.16.7.20');
  });

  it('gives undefined for a device without an IPv4 address, or for junk', () => {
    expect(ipv4FromIpJson(JSON.stringify([{ ifname: 'tun0', addr_info: [] }]))).toBeUndefined();
    expect(
      ipv4FromIpJson(
        JSON.stringify([{ ifname: 'tun0', addr_info: [{ family: 'inet6', local: 'fe80::1' }] }]),
      ),
    ).toBeUndefined();
    expect(ipv4FromIpJson('[]')).toBeUndefined();
    expect(ipv4FromIpJson('Device "tun0" does not exist.')).toBeUndefined();
    expect(ipv4FromIpJson('{"ifname":1}')).toBeUndefined();
  });
});

describe('createTunnelProbe', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'dg-tunnel-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('is down while the device does not exist, without running ip', async () => {
    let calls = 0;
    const probe = createTunnelProbe('tun0', root, async () => {
      calls += 1;
      return UP;
    });
    expect(await probe()).toBeUndefined();
    expect(calls).toBe(0);
  });

  it('is up once the device exists and has an address', async () => {
    mkdirSync(join(root, 'sys/class/net/tun0'), { recursive: true });
    let answer = JSON.stringify([{ ifname: 'tun0', addr_info: [] }]);
    const probe = createTunnelProbe('tun0', root, async (device) => {
      expect(device).toBe('tun0');
      return answer;
    });
    expect(await probe()).toBeUndefined();
    answer = UP;
    expect(await probe()).toBe('172.16.7.20');
  });

  it('treats a failing ip command as down', async () => {
    mkdirSync(join(root, 'sys/class/net/tun0'), { recursive: true });
    const probe = createTunnelProbe('tun0', root, async () => {
      throw new Error('ip: not found');
    });
    expect(await probe()).toBeUndefined();
  });
});
