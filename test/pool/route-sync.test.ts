/**
 * startRouteSync on a real kernel (a namespace the test makes) and a real feed: the memory store's, and
 * a real redis-server's (pub/sub, a restart that makes the feed resync). Locations set through the pool
 * state become host routes; moves, clears, dead peers and strays are followed; changes are coalesced and
 * never applied two at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../gateway/log.ts';
import { KernelRoutes } from '../../gateway/pool/kernel-routes.ts';
import type { GatewayMember, PoolStateStore } from '../../gateway/pool/pool-state.ts';
import { MemoryPoolState } from '../../gateway/pool/pool-state-memory.ts';
import { RedisPoolState } from '../../gateway/pool/pool-state-redis.ts';
import { type RouteSync, startRouteSync } from '../../gateway/pool/route-sync.ts';
import { RouteSyncMetrics } from '../../gateway/pool/route-sync-metrics.ts';
import { MemoryStore } from '../../gateway/store/memory.ts';
import { RedisStore } from '../../gateway/store/redis.ts';
import { MemoryVpnState } from '../../gateway/vpn/vpn-state-memory.ts';
import { RedisVpnState } from '../../gateway/vpn/vpn-state-redis.ts';
import { ErrorCode } from '../../shared/errors.ts';
import { startRedis, type TestRedis } from '../support/redis-server.ts';
import { createNamespaces, type PoolNamespaces } from './kernel-routes-netns.ts';

const DEAD_AFTER = 6_000;
let net: PoolNamespaces;
const lines: string[] = [];
const log = createLogger('debug', (l) => lines.push(...l.split('\n')));

const ours = () =>
  net
    .ip('gw', '-4', 'route', 'show', 'proto', '212')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => l.trim())
    .sort();
const self = (id: string, backbone: string): Omit<GatewayMember, 'lastBeat'> => ({
  id,
  backbone,
  vpnRemote: null,
  version: 'test',
  startedAt: 0,
  draining: false,
});

/** A KernelRoutes that counts applies and the most that ever ran at once. */
function countingKernel() {
  const kernel = new KernelRoutes({ log, commandPrefix: net.prefix('gw') });
  const stats = { applies: 0, reconciles: 0, inFlight: 0, maxInFlight: 0 };
  const track =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>, key: 'applies' | 'reconciles') =>
    async (...a: A) => {
      stats[key]++;
      stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
      try {
        return await fn(...a);
      } finally {
        stats.inFlight--;
      }
    };
  return {
    stats,
    kernel: {
      apply: track(kernel.apply.bind(kernel), 'applies'),
      reconcile: track(kernel.reconcile.bind(kernel), 'reconciles'),
      clear: () => kernel.clear(),
    },
  };
}

beforeAll(() => {
  net = createNamespaces(['gw']);
  net.ip('gw', 'link', 'add', 'bb', 'type', 'bridge');
  net.ip('gw', 'addr', 'add', '10.251.0.1/24', 'dev', 'bb');
  net.ip('gw', 'link', 'set', 'bb', 'up');
});
afterAll(() => net?.remove());

describe('startRouteSync (memory store)', () => {
  let sync: RouteSync | undefined;
  afterAll(() => sync?.stop());

  it('reconciles at start, then follows locations, moves, clears, dead peers, resyncs and stop', async () => {
    const store = new MemoryStore();
    const pool = new MemoryPoolState(store);
    const vpnState = new MemoryVpnState('172.16.0.0/16');
    let clock = Date.now();
    for (const [id, backbone] of [
      ['gw-a', '10.251.0.1'],
      ['gw-b', '10.251.0.2'],
      ['gw-c', '10.251.0.3'],
    ] as const)
      await pool.beat(self(id, backbone), clock);
    const address = async (c: string) => vpnState.allocateAddress(c);
    const c1 = await address('c1');
    const c2 = await address('c2');
    await pool.setLocation('c1', 'gw-b', clock);
    net.ip('gw', 'route', 'add', '172.16.9.9/32', 'via', '10.251.0.9', 'proto', '212'); // a stray

    const { kernel, stats } = countingKernel();
    sync = await startRouteSync({
      selfId: 'gw-a',
      pool,
      vpnState,
      kernel,
      subscribe: (l) => store.subscribe(l),
      log,
      deadAfterMs: DEAD_AFTER,
      now: () => clock,
    });
    expect(stats.reconciles).toBe(1);
    expect(ours()).toEqual([`${c1} via 10.251.0.2 dev bb`]);

    await pool.setLocation('c1', 'gw-c', clock); // moved
    const epoch = await pool.setLocation('c2', 'gw-b', clock);
    await sync.settled();
    expect(ours()).toEqual([`${c1} via 10.251.0.3 dev bb`, `${c2} via 10.251.0.2 dev bb`].sort());

    await pool.setLocation('c1', 'gw-a', clock); // here: no route needed
    await pool.clearLocation('c2', 'gw-b', epoch);
    await sync.settled();
    expect(ours()).toEqual([]);

    await pool.setLocation('c1', 'gw-b', clock);
    await pool.setLocation('c2', 'gw-c', clock);
    await sync.settled();
    expect(ours()).toHaveLength(2);
    // gw-b stops beating: once its last beat is older than DEAD_AFTER, the next change drops its routes.
    clock += DEAD_AFTER + 1;
    await pool.beat(self('gw-a', '10.251.0.1'), clock);
    await pool.beat(self('gw-c', '10.251.0.3'), clock);
    store.emit({ kind: 'pool', gatewayId: 'gw-b' });
    await sync.settled();
    expect(ours()).toEqual([`${c2} via 10.251.0.3 dev bb`]);

    // A feed gap: the kernel is read back, strays go.
    net.ip('gw', 'route', 'add', '172.16.9.10/32', 'via', '10.251.0.9', 'proto', '212');
    const reconcilesBefore = stats.reconciles;
    store.emit({ kind: 'resync' });
    await sync.settled();
    expect(stats.reconciles).toBe(reconcilesBefore + 1);
    expect(ours()).toEqual([`${c2} via 10.251.0.3 dev bb`]);

    expect(stats.maxInFlight).toBe(1);
    expect(lines.filter((l) => l.includes('GW_ERR_'))).toEqual([]);
    await sync.stop();
    sync = undefined;
    expect(ours()).toEqual([]);
  });

  it('coalesces a burst of changes into few batches, never two at once, and ends in the right state', async () => {
    const store = new MemoryStore();
    const pool = new MemoryPoolState(store);
    const vpnState = new MemoryVpnState('172.16.0.0/16');
    const now = Date.now();
    await pool.beat(self('gw-a', '10.251.0.1'), now);
    await pool.beat(self('gw-b', '10.251.0.2'), now);
    const { kernel, stats } = countingKernel();
    sync = await startRouteSync({
      selfId: 'gw-a',
      pool,
      vpnState,
      kernel,
      subscribe: (l) => store.subscribe(l),
      log,
      deadAfterMs: DEAD_AFTER,
      coalesceMs: 20,
    });
    const ids = Array.from({ length: 100 }, (_, i) => `burst-${i}`);
    for (const id of ids) await vpnState.allocateAddress(id);
    await Promise.all(ids.map((id) => pool.setLocation(id, 'gw-b', now)));
    await sync.settled();
    expect(ours()).toHaveLength(100);
    expect(stats.applies).toBeLessThanOrEqual(5);
    expect(stats.maxInFlight).toBe(1);
    await pool.dropLocationsOf('gw-b');
    await sync.settled();
    expect(ours()).toEqual([]);
    await sync.stop();
    sync = undefined;
  });

  it('a store that fails a read is logged once with its code and retried at the next change', async () => {
    const store = new MemoryStore();
    const pool = new MemoryPoolState(store);
    const vpnState = new MemoryVpnState('172.16.0.0/16');
    const now = Date.now();
    await pool.beat(self('gw-a', '10.251.0.1'), now);
    await pool.beat(self('gw-b', '10.251.0.2'), now);
    const address = await vpnState.allocateAddress('c1');
    let broken = false;
    const flaky: Pick<PoolStateStore, 'members' | 'locations'> = {
      members: () =>
        broken
          ? Promise.reject(Object.assign(new Error('down'), { code: ErrorCode.StoreUnavailable }))
          : pool.members(),
      locations: () => pool.locations(),
    };
    lines.length = 0;
    const metrics = new RouteSyncMetrics();
    sync = await startRouteSync({
      selfId: 'gw-a',
      pool: flaky,
      vpnState,
      kernel: countingKernel().kernel,
      subscribe: (l) => store.subscribe(l),
      log,
      deadAfterMs: DEAD_AFTER,
      onApplied: (outcome, routes) => metrics.applied(outcome, routes),
      onFailed: () => metrics.failed(),
    });
    broken = true;
    await pool.setLocation('c1', 'gw-b', now);
    await sync.settled();
    store.emit({ kind: 'pool', gatewayId: 'gw-b' });
    await sync.settled();
    expect(ours()).toEqual([]);
    const failed = lines.filter((l) => l.includes('pool routes not refreshed'));
    expect(failed).toHaveLength(1);
    expect(JSON.parse(failed[0] as string)).toMatchObject({
      level: 'warn',
      code: ErrorCode.StoreUnavailable,
    });
    broken = false;
    store.emit({ kind: 'pool', gatewayId: 'gw-b' });
    await sync.settled();
    expect(ours()).toEqual([`${address} via 10.251.0.2 dev bb`]);
    expect(lines.some((l) => l.includes('pool routes in step again'))).toBe(true);
    // Counted: every failed pass, the good ones, the one route wanted and the one added.
    expect(metrics.passes.failed).toBeGreaterThanOrEqual(2);
    expect(metrics.routes).toBe(1);
    expect(metrics.changes.added).toBe(1);
    const text = metrics.render();
    expect(text).toContain(`gateway_pool_route_sync_passes_total{result="failed"} ${metrics.passes.failed}`);
    expect(text).toContain('gateway_pool_routes 1');
    expect(text).toContain('gateway_pool_route_changes_total{kind="added"} 1');
    await sync.stop();
    sync = undefined;
  });
});

describe("startRouteSync with the membership's judgement of liveness", () => {
  it('keeps a peer whose beats carry a clock far behind, while the membership sees it live', async () => {
    const store = new MemoryStore();
    const pool = new MemoryPoolState(store);
    const vpnState = new MemoryVpnState('172.16.0.0/16');
    const now = Date.now();
    await pool.beat(self('gw-a', '10.251.0.1'), now);
    await pool.beat(self('gw-b', '10.251.0.2'), now - 60_000); // gw-b's clock is a minute behind
    const address = await vpnState.allocateAddress('c1');
    await pool.setLocation('c1', 'gw-b', now);
    let live = await pool.members();
    let told: (() => void) | undefined;
    const sync = await startRouteSync({
      selfId: 'gw-a',
      pool,
      vpnState,
      kernel: countingKernel().kernel,
      subscribe: (l) => store.subscribe(l),
      log,
      deadAfterMs: DEAD_AFTER,
      liveMembers: () => live,
      onMembersChange: (listener) => {
        told = listener;
        return () => undefined;
      },
    });
    expect(ours()).toEqual([`${address} via 10.251.0.2 dev bb`]);
    // The membership declares gw-b dead (by this gateway's clock) and says so.
    live = live.filter((m) => m.id !== 'gw-b');
    told?.();
    await sync.settled();
    expect(ours()).toEqual([]);
    await sync.stop();
  });
});

describe('startRouteSync (a real redis-server feed)', () => {
  let redis: TestRedis;
  const closers: (() => Promise<unknown>)[] = [];
  beforeAll(async () => {
    redis = await startRedis({ persistent: true });
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await redis?.stop();
  });

  it('follows locations published by another gateway, and reconciles after Redis comes back', async () => {
    const store = new RedisStore(redis.url);
    const pool = new RedisPoolState(redis.url);
    const vpnState = new RedisVpnState(redis.url, '172.16.0.0/16');
    // Another gateway's connections write the locations.
    const peerPool = new RedisPoolState(redis.url);
    const peerVpn = new RedisVpnState(redis.url, '172.16.0.0/16');
    closers.push(
      () => store.close(),
      () => pool.close(),
      () => vpnState.close(),
      () => peerPool.close(),
      () => peerVpn.close(),
    );
    const now = Date.now();
    await peerPool.beat(self('gw-a', '10.251.0.1'), now);
    await peerPool.beat(self('gw-b', '10.251.0.2'), now);
    const { kernel, stats } = countingKernel();
    const sync = await startRouteSync({
      selfId: 'gw-a',
      pool,
      vpnState,
      kernel,
      subscribe: (l) => store.subscribe(l),
      log,
      deadAfterMs: 60_000,
    });
    closers.push(() => sync.stop());
    const address = await peerVpn.allocateAddress('c1');
    await peerPool.setLocation('c1', 'gw-b', Date.now());
    await until(() => ours().length === 1);
    expect(ours()).toEqual([`${address} via 10.251.0.2 dev bb`]);

    const reconciles = stats.reconciles;
    net.ip('gw', 'route', 'add', '172.16.9.11/32', 'via', '10.251.0.9', 'proto', '212');
    await redis.restart(); // with its data (append-only file): the feed resyncs
    await until(() => stats.reconciles > reconciles, 15_000);
    await sync.settled();
    // The location survived: its route stays; the stray, which only a read of the kernel finds, is gone.
    expect(ours()).toEqual([`${address} via 10.251.0.2 dev bb`]);
  }, 60_000);
});

/** Polls `probe` every 20 ms, failing after `ms` (a bound, not a timing assertion). */
async function until(probe: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline)
      throw new Error(`condition not met in time; last log lines: ${lines.slice(-5).join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('startPoolRouting', () => {
  it('starts nothing without VPN_ENABLED or without BACKBONE_ADDRESS', async () => {
    const { startPoolRouting } = await import('../../gateway/pool/pool-routing.ts');
    const store = new MemoryStore();
    const deps = {
      log,
      pool: new MemoryPoolState(store),
      vpnState: new MemoryVpnState('172.16.0.0/16'),
      gatewayAddress: '172.16.0.1',
      subscribe: () => Promise.reject(new Error('must not subscribe')),
    };
    const base = { GATEWAY_ID: 'gw-a', VPN_SUBNET: '172.16.0.0/16', POOL_DEAD_AFTER: DEAD_AFTER };
    expect(
      await startPoolRouting({
        ...deps,
        config: { ...base, VPN_ENABLED: true, BACKBONE_ADDRESS: undefined },
      }),
    ).toBeUndefined();
    expect(
      await startPoolRouting({
        ...deps,
        config: { ...base, VPN_ENABLED: false, BACKBONE_ADDRESS: '10.251.0.1' },
      }),
    ).toBeUndefined();
  });
});
