/**
 * KernelRoutes against the real kernel, in a namespace the test makes: a gateway with a backbone bridge
 * (10.251.0.1/24) and tun0's subnet route, and routes the pool does not own next to its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/log.ts';
import { KernelRoutes } from '../../gateway/pool/kernel-routes.ts';
import { ErrorCode } from '../../shared/errors.ts';
import { createNamespaces, type PoolNamespaces } from './kernel-routes-netns.ts';

let net: PoolNamespaces;
const lines: string[] = [];
const log = createLogger('debug', (l) => lines.push(...l.split('\n')));

/** The gateway namespace's IPv4 routes of the main table, one `ip route` line each. */
const kernelRoutes = () =>
  net
    .ip('gw', '-4', 'route', 'show')
    .trim()
    .split('\n')
    .map((l) => l.trim());
const ours = () =>
  net
    .ip('gw', '-4', 'route', 'show', 'proto', '212')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.trim())
    .sort();
const failures = () => lines.filter((l) => l.includes(ErrorCode.KernelRoute));
const routesFor = (n: number, via: string, base = 0) =>
  new Map(
    Array.from({ length: n }, (_, i) => [
      `172.16.${Math.floor((base + i) / 250) + 1}.${((base + i) % 250) + 2}`,
      via,
    ]),
  );

beforeAll(() => {
  net = createNamespaces(['gw']);
  net.ip('gw', 'link', 'add', 'bb', 'type', 'bridge');
  net.ip('gw', 'addr', 'add', '10.251.0.1/24', 'dev', 'bb');
  net.ip('gw', 'link', 'set', 'bb', 'up');
  // Stands for OpenVPN's tun0 and its subnet route.
  net.ip('gw', 'link', 'add', 'tun0', 'type', 'bridge');
  net.ip('gw', 'addr', 'add', '172.16.0.1/16', 'dev', 'tun0');
  net.ip('gw', 'link', 'set', 'tun0', 'up');
});
afterAll(() => net?.remove());

describe('KernelRoutes', () => {
  it('adds, moves and removes host routes by difference, tagged proto 212, more specific than tun0', async () => {
    const kernel = new KernelRoutes({ log, commandPrefix: net.prefix('gw') });
    const first = await kernel.reconcile(new Map());
    expect(first).toMatchObject({ added: 0, removed: 0, reconciled: true });

    const added = await kernel.apply(
      new Map([
        ['172.16.0.10', '10.251.0.2'],
        ['172.16.0.11', '10.251.0.3'],
      ]),
    );
    expect(added).toMatchObject({ added: 2, changed: 0, removed: 0, reconciled: false });
    expect(ours()).toEqual(['172.16.0.10 via 10.251.0.2 dev bb', '172.16.0.11 via 10.251.0.3 dev bb']);
    expect(net.ip('gw', 'route', 'get', '172.16.0.10')).toContain('via 10.251.0.2 dev bb');
    expect(net.ip('gw', 'route', 'get', '172.16.0.12')).toContain('dev tun0');

    const moved = await kernel.apply(new Map([['172.16.0.10', '10.251.0.3']]));
    expect(moved).toMatchObject({ added: 0, changed: 1, removed: 1, reconciled: false });
    expect(ours()).toEqual(['172.16.0.10 via 10.251.0.3 dev bb']);
    expect([...kernel.routes]).toEqual([['172.16.0.10', '10.251.0.3']]);

    const same = await kernel.apply(new Map([['172.16.0.10', '10.251.0.3']]));
    expect(same).toMatchObject({ added: 0, changed: 0, removed: 0 });
    await kernel.apply(new Map());
    expect(ours()).toEqual([]);
    expect(failures()).toEqual([]);
  });

  it('reconcile removes strays of its protocol and never touches routes of another protocol', async () => {
    net.ip('gw', 'route', 'add', '172.16.0.20/32', 'via', '10.251.0.9', 'proto', '212');
    net.ip('gw', 'route', 'add', '172.16.5.0/24', 'via', '10.251.0.9', 'proto', '212');
    net.ip('gw', 'route', 'add', '172.16.0.21/32', 'via', '10.251.0.9', 'proto', 'static');
    net.ip('gw', 'route', 'add', '172.16.0.22/32', 'via', '10.251.0.9'); // proto boot
    net.ip('gw', 'route', 'add', '172.16.0.23/32', 'via', '10.251.0.9', 'proto', '213');
    const before = kernelRoutes().filter((l) => !l.includes('proto 212'));

    const kernel = new KernelRoutes({ log, commandPrefix: net.prefix('gw') });
    const outcome = await kernel.reconcile(new Map([['172.16.0.30', '10.251.0.2']]));
    expect(outcome).toMatchObject({ added: 1, removed: 2, reconciled: true, refused: 0 });
    expect(ours()).toEqual(['172.16.0.30 via 10.251.0.2 dev bb']);
    expect(kernelRoutes().filter((l) => !l.includes('proto 212'))).toEqual(before);

    await kernel.clear();
    expect(ours()).toEqual([]);
    expect(kernelRoutes().filter((l) => !l.includes('proto 212'))).toEqual(before);
    for (const dst of ['172.16.0.21/32', '172.16.0.22/32', '172.16.0.23/32'])
      net.ip('gw', 'route', 'del', dst);
  });

  it('a batch the kernel refuses falls back to reconcile, logged in one line with the code', async () => {
    const kernel = new KernelRoutes({ log, commandPrefix: net.prefix('gw') });
    await kernel.reconcile(
      new Map([
        ['172.16.0.40', '10.251.0.2'],
        ['172.16.0.41', '10.251.0.2'],
      ]),
    );
    // Someone removes one behind the gateway's back: its `del` fails, and the batch with it.
    net.ip('gw', 'route', 'del', '172.16.0.40/32', 'proto', '212');
    const outcome = await kernel.apply(
      new Map([
        ['172.16.0.41', '10.251.0.3'],
        ['172.16.0.42', '10.251.0.3'],
      ]),
    );
    expect(outcome.reconciled).toBe(true);
    expect(ours()).toEqual(['172.16.0.41 via 10.251.0.3 dev bb', '172.16.0.42 via 10.251.0.3 dev bb']);
    const logged = failures();
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0] as string)).toMatchObject({ level: 'warn', code: ErrorCode.KernelRoute });
    lines.length = 0;
    await kernel.clear();
  });

  it('never overwrites a foreign route to the same address: refused once, logged, not retried per change', async () => {
    net.ip('gw', 'route', 'add', '172.16.0.50/32', 'via', '10.251.0.9', 'proto', 'static');
    const kernel = new KernelRoutes({ log, commandPrefix: net.prefix('gw') });
    const desired = new Map([
      ['172.16.0.50', '10.251.0.2'],
      ['172.16.0.51', '10.251.0.2'],
    ]);
    const first = await kernel.apply(desired);
    expect(first).toMatchObject({ reconciled: true, refused: 1 });
    expect(net.ip('gw', 'route', 'show', '172.16.0.50/32').trim()).toBe(
      '172.16.0.50 via 10.251.0.9 dev bb proto static',
    );
    expect(ours()).toEqual(['172.16.0.51 via 10.251.0.2 dev bb']);
    expect(failures().length).toBeGreaterThan(0);
    lines.length = 0;
    const again = await kernel.apply(new Map([...desired, ['172.16.0.52', '10.251.0.2']]));
    expect(again).toMatchObject({ added: 1, reconciled: false, refused: 1 });
    expect(failures()).toEqual([]);
    net.ip('gw', 'route', 'del', '172.16.0.50/32');
    await kernel.clear();
  });

  it('leaves out desired entries that are not IPv4 addresses before they reach a command line', async () => {
    const kernel = new KernelRoutes({ log, commandPrefix: net.prefix('gw') });
    const outcome = await kernel.apply(
      new Map([
        ['172.16.0.60', '10.251.0.2 dev lo'],
        ['172.16.0.61\nroute flush table main', '10.251.0.2'],
        ['172.16.0.62', '10.251.0.2'],
      ]),
    );
    expect(outcome).toMatchObject({ added: 1, reconciled: false });
    expect(ours()).toEqual(['172.16.0.62 via 10.251.0.2 dev bb']);
    expect(failures()).toHaveLength(1);
    expect(kernelRoutes()).toContain('10.251.0.0/24 dev bb proto kernel scope link src 10.251.0.1');
    lines.length = 0;
    await kernel.clear();
  });

  it('applies 250 routes in one batch, moves them all, removes them all', async () => {
    const kernel = new KernelRoutes({ log, commandPrefix: net.prefix('gw') });
    await kernel.reconcile(new Map());
    expect(await kernel.apply(routesFor(250, '10.251.0.2'))).toMatchObject({ added: 250, reconciled: false });
    expect(ours()).toHaveLength(250);
    expect((await kernel.read()).get('172.16.1.251')).toBe('10.251.0.2');
    expect(await kernel.apply(routesFor(250, '10.251.0.3'))).toMatchObject({
      changed: 250,
      reconciled: false,
    });
    expect(ours().every((l) => l.includes('via 10.251.0.3 '))).toBe(true);
    // A restart: a new instance reads them back and keeps them.
    const restarted = new KernelRoutes({ log, commandPrefix: net.prefix('gw') });
    expect(await restarted.reconcile(routesFor(250, '10.251.0.3'))).toMatchObject({
      added: 0,
      removed: 0,
      changed: 0,
    });
    expect(await restarted.apply(new Map())).toMatchObject({ removed: 250, reconciled: false });
    expect(ours()).toEqual([]);
    expect(failures()).toEqual([]);
  });
});
