/**
 * A container held by gateway B reached from gateway A over the backbone, with the kernel alone:
 * A's host route from KernelRoutes (computed by desiredRoutes), B's forwarding and SNAT from
 * startForwarding. Three namespaces the test makes: gwA and gwB joined by a backbone link
 * (10.251.0.0/24, inside the namespaces only), each with the VPN subnet 172.16.0.0/16 and .1 on its
 * `tun0`; B's `tun0` is a veth to the container (standing for its tunnel: this test is about forwarding;
 * the real OpenVPN runs in the pool test bed). The container has no route to the backbone: its default
 * route goes onto a tun device nobody reads, as in test/e2e.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/log.ts';
import { desiredRoutes } from '../../gateway/pool/desired-routes.ts';
import { FORWARDING_TABLE, startForwarding } from '../../gateway/pool/forwarding.ts';
import { KernelRoutes } from '../../gateway/pool/kernel-routes.ts';
import type { GatewayMember } from '../../gateway/pool/pool-state.ts';
import { ErrorCode } from '../../shared/errors.ts';
import { requireCommand } from '../support/prerequisites.ts';
import { createNamespaces, type PoolNamespaces } from './kernel-routes-netns.ts';

/**
 * The connection's two ends, plain Node run inside a namespace: `server <address> <port>` answers each
 * connection with the peer address it saw; `client <address> <port> <timeoutMs>` prints
 * `{"ok":true,"seen":"..."}` or `{"ok":false,"error":"..."}`.
 */
const PROBE = `
const net = require('node:net');
const [mode, address, port, timeout] = process.argv.slice(1);
if (mode === 'server') {
  net.createServer((s) => s.end(s.remoteAddress + '\\n')).listen(Number(port), address, () => console.log('listening'));
} else {
  let data = '';
  const done = (r) => { console.log(JSON.stringify(r)); process.exit(0); };
  const socket = net.connect({ host: address, port: Number(port) });
  socket.setTimeout(Number(timeout), () => done({ ok: false, error: 'timeout' }));
  socket.on('data', (d) => { data += d; });
  socket.on('end', () => done({ ok: true, seen: data.trim() }));
  socket.on('error', (e) => done({ ok: false, error: e.code || e.message }));
}`;
const CONTAINER = '172.16.0.10';
const PORT = 8000;
/** A connection that cannot work fails within this (a bound, not a timing assertion). */
const CONNECT_TIMEOUT_MS = 3_000;

let net: PoolNamespaces;
let server: ChildProcess | undefined;
const lines: string[] = [];
const log = createLogger('debug', (l) => lines.push(...l.split('\n')));
const fwdOptions = () => ({
  log,
  commandPrefix: net.prefix('gwB'),
  device: 'tun0',
  subnet: '172.16.0.0/16',
  gatewayAddress: '172.16.0.1',
});

/** A TCP connection from gwA to the container: what the container saw as its peer, or the error. */
async function connectFromA(): Promise<{ ok: boolean; seen?: string; error?: string }> {
  const out = await net.exec(
    'gwA',
    process.execPath,
    ['-e', PROBE, 'client', CONTAINER, String(PORT), String(CONNECT_TIMEOUT_MS)],
    20_000,
  );
  const result = JSON.parse(out.trim().split('\n').pop() as string);
  if (process.env.POOL_PROBE_DEBUG) console.log('probe', result);
  return result;
}
const sysctl = (ns: string, key: string) => net.exec(ns, 'sysctl', ['-n', key]).then((s) => s.trim());
const snatRules = async () =>
  (await net.exec('gwB', 'nft', ['list', 'ruleset'])).split('\n').filter((l) => l.includes('snat to'));

beforeAll(async () => {
  requireCommand('nft', 'nftables');
  net = createNamespaces(['gwA', 'gwB', 'ctr']);
  // Backbone: a veth made inside gwA whose peer is moved into gwB (nothing in the root namespace).
  net.ip('gwA', 'link', 'add', 'bb', 'type', 'veth', 'peer', 'name', 'bb', 'netns', net.ns('gwB'));
  net.ip('gwA', 'addr', 'add', '10.251.0.1/24', 'dev', 'bb');
  net.ip('gwB', 'addr', 'add', '10.251.0.2/24', 'dev', 'bb');
  // A's own tunnel device with the same subnet and .1 (no container on it).
  net.ip('gwA', 'link', 'add', 'tun0', 'type', 'bridge');
  net.ip('gwA', 'addr', 'add', '172.16.0.1/16', 'dev', 'tun0');
  // B's tunnel to the container.
  net.ip('gwB', 'link', 'add', 'tun0', 'type', 'veth', 'peer', 'name', 'tun0', 'netns', net.ns('ctr'));
  net.ip('gwB', 'addr', 'add', '172.16.0.1/16', 'dev', 'tun0');
  net.ip('ctr', 'addr', 'add', `${CONTAINER}/16`, 'dev', 'tun0');
  for (const [ns, dev] of [
    ['gwA', 'bb'],
    ['gwB', 'bb'],
    ['gwA', 'tun0'],
    ['gwB', 'tun0'],
    ['ctr', 'tun0'],
  ] as const)
    net.ip(ns, 'link', 'set', dev, 'up');
  net.ip('ctr', 'tuntap', 'add', 'mode', 'tun', 'dev', 'up0');
  net.ip('ctr', 'link', 'set', 'up0', 'up');
  net.ip('ctr', 'addr', 'add', '10.252.0.2/24', 'dev', 'up0');
  net.ip('ctr', 'route', 'add', 'default', 'via', '10.252.0.1', 'dev', 'up0', 'onlink');

  server = spawn(
    'ip',
    ['netns', 'exec', net.ns('ctr'), process.execPath, '-e', PROBE, 'server', CONTAINER, String(PORT)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('probe server did not start')), 20_000);
    server?.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}, 60_000);

afterAll(() => {
  server?.kill('SIGKILL');
  net?.remove();
});

describe('a container held by another gateway, through kernel routes and the holder forwarding', () => {
  const member = (id: string, backbone: string): GatewayMember => ({
    id,
    backbone,
    vpnRemote: null,
    version: 'test',
    startedAt: 0,
    lastBeat: Date.now(),
    draining: false,
  });

  it("connects from A to the container on B once both sides are set, and the container sees B's .1", async () => {
    // Without a route A sends to its own tun0, where nobody is.
    expect((await connectFromA()).ok).toBe(false);

    const kernel = new KernelRoutes({ log, commandPrefix: net.prefix('gwA') });
    const desired = desiredRoutes({
      selfId: 'gw-a',
      members: [member('gw-a', '10.251.0.1'), member('gw-b', '10.251.0.2')],
      locations: [{ containerId: 'c1', gatewayId: 'gw-b', epoch: 1, since: 0 }],
      addresses: new Map([['c1', CONTAINER]]),
      now: Date.now(),
      deadAfterMs: 6_000,
    });
    await kernel.reconcile(desired);
    expect(net.ip('gwA', 'route', 'get', CONTAINER)).toContain('via 10.251.0.2 dev bb');
    // B does not forward yet (a new namespace starts with ip_forward=0).
    expect(await sysctl('gwB', 'net.ipv4.ip_forward')).toBe('0');
    expect((await connectFromA()).ok).toBe(false);

    const forwarding = await startForwarding(fwdOptions());
    expect(await sysctl('gwB', 'net.ipv4.ip_forward')).toBe('1');
    expect(await connectFromA()).toEqual({ ok: true, seen: '172.16.0.1' });

    // Strict reverse-path filtering on every interface of all three does not drop it.
    for (const ns of ['gwA', 'gwB', 'ctr'])
      for (const key of ['all', 'default', 'bb', 'tun0'])
        await net.exec(ns, 'sh', [
          '-c',
          `[ -e /proc/sys/net/ipv4/conf/${key} ] && sysctl -qw net.ipv4.conf.${key}.rp_filter=1 || true`,
        ]);
    expect(await sysctl('gwB', 'net.ipv4.conf.bb.rp_filter')).toBe('1');
    expect(await connectFromA()).toEqual({ ok: true, seen: '172.16.0.1' });

    // A restart installs the same table again: one rule, not two.
    const again = await startForwarding(fwdOptions());
    expect(await snatRules()).toHaveLength(1);
    expect((await snatRules())[0]).toContain(
      'oifname "tun0" ip saddr != 172.16.0.0/16 ip daddr 172.16.0.0/16',
    );

    // Without the SNAT the container answers into its default route, never to A.
    await again.stop();
    expect(await snatRules()).toHaveLength(0);
    expect(await sysctl('gwB', 'net.ipv4.ip_forward')).toBe('1'); // the second start did not turn it on
    expect((await connectFromA()).ok).toBe(false);

    // The first start's stop: nothing left, ip_forward back to what it was.
    await forwarding.stop();
    expect(await net.exec('gwB', 'nft', ['list', 'tables'])).not.toContain(FORWARDING_TABLE);
    expect(await sysctl('gwB', 'net.ipv4.ip_forward')).toBe('0');

    // When the location goes, so does the route: A's tun0 again.
    await kernel.apply(new Map());
    expect(net.ip('gwA', 'route', 'get', CONTAINER)).toContain('dev tun0');
    expect(
      lines.filter((l) => l.includes(ErrorCode.Forwarding) || l.includes(ErrorCode.KernelRoute)),
    ).toEqual([]);
  }, 120_000);

  it('refuses options that would not be safe on an nft command line', async () => {
    await expect(startForwarding({ ...fwdOptions(), device: 'tun0" accept' })).rejects.toMatchObject({
      code: ErrorCode.BadConfig,
    });
    await expect(startForwarding({ ...fwdOptions(), subnet: '172.16.0.0/16 accept' })).rejects.toMatchObject({
      code: ErrorCode.BadConfig,
    });
    expect(await net.exec('gwB', 'nft', ['list', 'tables'])).not.toContain(FORWARDING_TABLE);
  });
});
