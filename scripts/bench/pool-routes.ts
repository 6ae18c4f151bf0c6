/**
 * Location change applied as a kernel route (issue 16, design point 4): a peer gateway records where a
 * container's tunnel is (RedisPoolState.setLocation on a real redis-server); we time from that call until
 * this gateway's kernel holds the host route, as `ip monitor route` in its network namespace reports it.
 * This gateway runs the real route sync (startRouteSync + KernelRoutes) on the Redis feed.
 *   - single changes: one container moving between two peers, one change at a time (p50, p99, max);
 *   - at once: N containers placed on a peer together, then all moved to another (time to the last route).
 * Nothing touches the root namespace: the process re-runs itself inside a namespace it makes, where the
 * backbone (10.251.0.0/24) and the routes live, and removes it after. Needs root.
 * Usage: npx tsx scripts/bench/pool-routes.ts [--changes 200] [--at-once 250] [--rounds 5]
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createLogger } from '../../gateway/log.ts';
import { KernelRoutes } from '../../gateway/pool/kernel-routes.ts';
import type { GatewayMember } from '../../gateway/pool/pool-state.ts';
import { RedisPoolState } from '../../gateway/pool/pool-state-redis.ts';
import { startRouteSync } from '../../gateway/pool/route-sync.ts';
import { runCommand } from '../../gateway/pool/system-command.ts';
import { RedisStore } from '../../gateway/store/redis.ts';
import { RedisVpnState } from '../../gateway/vpn/vpn-state-redis.ts';
import { createNamespaces } from '../../test/pool/kernel-routes-netns.ts';
import { startRedis } from '../../test/support/redis-server.ts';

const { values } = parseArgs({
  options: {
    changes: { type: 'string', default: '200' },
    'at-once': { type: 'string', default: '250' },
    rounds: { type: 'string', default: '5' },
  },
});
const changes = Math.min(Number(values.changes), 2_000);
const atOnce = Math.min(Number(values['at-once']), 5_000);
const rounds = Math.min(Number(values.rounds), 50);
/** Longest wait for one route (a bound; a miss is reported, never waited on forever). */
const WAIT_MS = 10_000;

// The measuring process runs inside the namespace, as a gateway runs in its own: its `ip` commands need
// no `ip netns exec` prefix (which costs a mount namespace set-up per command), and Redis is on its loopback.
if (process.env.POOL_BENCH_INSIDE !== '1') {
  const net = createNamespaces(['gw']);
  net.ip('gw', 'link', 'add', 'bb', 'type', 'bridge');
  net.ip('gw', 'addr', 'add', '10.251.0.1/24', 'dev', 'bb');
  net.ip('gw', 'link', 'set', 'bb', 'up');
  const child = spawn(
    'ip',
    ['netns', 'exec', net.ns('gw'), process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    {
      stdio: 'inherit',
      env: { ...process.env, POOL_BENCH_INSIDE: '1' },
    },
  );
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  net.remove();
  process.exit(code ?? 1);
}
const redis = await startRedis();
const log = createLogger('warn');
const store = new RedisStore(redis.url);
const pool = new RedisPoolState(redis.url);
const vpnState = new RedisVpnState(redis.url, '172.16.0.0/16');
const peerPool = new RedisPoolState(redis.url);
const peerVpn = new RedisVpnState(redis.url, '172.16.0.0/16');

/** The kernel's view: the via of each pool route as `ip monitor` reports it, and who waits for what. */
const seen = new Map<string, string>();
const waiters = new Map<string, { via: string | null; resolve: (at: number) => void }>();
const monitor = spawn('ip', ['monitor', 'route'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
createInterface({ input: monitor.stdout }).on('line', (line) => {
  const at = performance.now();
  const m = /^(Deleted )?(\d+\.\d+\.\d+\.\d+) via (\S+) .*proto 212/.exec(line);
  if (!m) return;
  const [, deleted, address, via] = m as unknown as [string, string | undefined, string, string];
  if (deleted) seen.delete(address);
  else seen.set(address, via);
  const waiter = waiters.get(address);
  if (waiter && (deleted ? waiter.via === null : waiter.via === via)) {
    waiters.delete(address);
    waiter.resolve(at);
  }
});
/** Resolves with the time the kernel reported `address` via `via` (null: deleted). */
const kernelHas = (address: string, via: string | null) =>
  new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no route change for ${address} in ${WAIT_MS} ms`)),
      WAIT_MS,
    );
    waiters.set(address, {
      via,
      resolve: (at) => {
        clearTimeout(timer);
        resolve(at);
      },
    });
  });

const member = (id: string, backbone: string): Omit<GatewayMember, 'lastBeat'> => ({
  id,
  backbone,
  vpnRemote: null,
  version: 'bench',
  startedAt: Date.now(),
  draining: false,
});
const beat = () =>
  Promise.all(
    (
      [
        ['gw-a', '10.251.0.1'],
        ['gw-b', '10.251.0.2'],
        ['gw-c', '10.251.0.3'],
      ] as const
    ).map(([id, bb]) => peerPool.beat(member(id, bb), Date.now())),
  );
const q = (samples: number[], p: number) => {
  const sorted = [...samples].sort((x, y) => x - y);
  return (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number).toFixed(2);
};

try {
  await new Promise((r) => setTimeout(r, 200)); // ip monitor subscribed
  await beat();
  const sync = await startRouteSync({
    selfId: 'gw-a',
    pool,
    vpnState,
    kernel: new KernelRoutes({ log }),
    subscribe: (l) => store.subscribe(l),
    log,
    deadAfterMs: 600_000,
  });

  const single: number[] = [];
  const mover = await peerVpn.allocateAddress('mover');
  for (let i = 0; i < changes; i++) {
    const [to, via] = i % 2 === 0 ? ['gw-b', '10.251.0.2'] : ['gw-c', '10.251.0.3'];
    const applied = kernelHas(mover, via);
    const t0 = performance.now();
    await peerPool.setLocation('mover', to, Date.now());
    single.push((await applied) - t0);
  }
  console.log(
    `location change -> kernel route, ${changes} single changes: p50 ${q(single, 0.5)} ms, p99 ${q(single, 0.99)} ms, max ${q(single, 1)} ms`,
  );

  const ids = Array.from({ length: atOnce }, (_, i) => `c${i}`);
  const addresses = await Promise.all(ids.map((id) => peerVpn.allocateAddress(id)));
  for (let round = 1; round <= rounds; round++) {
    for (const [label, to, via] of [
      ['placed on gw-b', 'gw-b', '10.251.0.2'],
      ['moved to gw-c', 'gw-c', '10.251.0.3'],
    ] as const) {
      const applied = addresses.map((a) => kernelHas(a, via));
      const t0 = performance.now();
      await Promise.all(ids.map((id) => peerPool.setLocation(id, to, Date.now())));
      const written = performance.now() - t0;
      const times = (await Promise.all(applied)).map((at) => at - t0);
      console.log(
        `round ${round}: ${atOnce} containers ${label} at once: store writes done ${written.toFixed(1)} ms, first route ${q(times, 0)} ms, p50 ${q(times, 0.5)} ms, last ${q(times, 1)} ms`,
      );
    }
    const gone = addresses.map((a) => kernelHas(a, null));
    const t0 = performance.now();
    await peerPool.dropLocationsOf('gw-c');
    const times = (await Promise.all(gone)).map((at) => at - t0);
    console.log(
      `round ${round}: ${atOnce} locations of a dead gateway dropped: last route removed ${q(times, 1)} ms`,
    );
  }
  await sync.stop();

  // Where a single change's time goes: the route sync's store reads, and one `ip -batch` process.
  const reads: number[] = [];
  const spawns: number[] = [];
  for (let i = 0; i < 50; i++) {
    let t0 = performance.now();
    await Promise.all([pool.members(), pool.locations(), vpnState.listAddresses()]);
    reads.push(performance.now() - t0);
    t0 = performance.now();
    const out = await runCommand([], 'ip', ['-batch', '-'], {
      input: 'route replace 172.16.200.1/32 via 10.251.0.2 proto 212\n',
      timeoutMs: WAIT_MS,
    });
    spawns.push(performance.now() - t0);
    if (out.code !== 0) throw new Error(`ip -batch failed: ${out.stderr}`);
  }
  console.log(
    `parts: three store reads (${atOnce + 1} locations) p50 ${q(reads, 0.5)} ms; one ip -batch process p50 ${q(spawns, 0.5)} ms, p99 ${q(spawns, 0.99)} ms`,
  );
} finally {
  monitor.kill('SIGKILL');
  await Promise.allSettled([
    store.close(),
    pool.close(),
    vpnState.close(),
    peerPool.close(),
    peerVpn.close(),
  ]);
  await redis.stop();
}
