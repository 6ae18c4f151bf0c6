/**
 * Failover after kill -9 (issue 16, Measure), on the pool test bed: N legacy containers (the unchanged
 * legacy bootstrap and OpenVPN client, each in its own namespace, a socat service) all list gw1 first for
 * the gateway FQDN, so gw1 holds them all; then everything in gw1's namespace is SIGKILLed and a probe in
 * the front namespace polls each container's hostname through gw2 and gw3 (alternating) until it answers
 * its name again. Times are from the kill to that first answer: p50, p95, max. With N = 250 (the bed's
 * maximum) this is 250 containers moving at once. Each run builds a new bed.
 * Usage (root): npx tsx scripts/bench/pool-failover.ts [--containers 50] [--runs 1] [--interval 250]
 */
import { parseArgs } from 'node:util';
import { createPool } from '../../test/e2e/support/pool-topology.ts';
import {
  type BedContainer,
  DOMAIN,
  FQDN,
  holders,
  quantile,
  sleep,
  spread,
  startLightContainer,
  startProbe,
  waitForTunnels,
} from './lib/pool-bed.ts';

const { values } = parseArgs({
  options: {
    containers: { type: 'string', default: '50' },
    runs: { type: 'string', default: '1' },
    interval: { type: 'string', default: '250' },
  },
});
const count = Math.min(Math.max(1, Number(values.containers)), 250);
const runs = Math.min(Math.max(1, Number(values.runs)), 10);
const intervalMs = Math.min(Math.max(50, Number(values.interval)), 5_000);
const DEADLINE_MS = 180_000;

interface ProbeResult {
  started: number;
  servedAt: { host: string; at: number | null; attempt: number }[];
}

async function oneRun(run: number) {
  const pool = await createPool({ containers: count, domain: DOMAIN, fqdn: FQDN, prefers: () => 1 });
  try {
    const t0 = Date.now();
    const containers: BedContainer[] = [];
    for (let i = 1; i <= count; i++) {
      containers.push(await startLightContainer(pool, i));
      await sleep(50);
    }
    await waitForTunnels(pool, containers, 60_000 + count * 2_000);
    const held = await holders(pool);
    const moving = containers.filter((c) => held.get(c.containerId) === 1);
    const before = startProbe<ProbeResult>(pool, {
      mode: 'failover',
      via: [2, 3].map((g) => pool.gateways[g - 1]?.backbone),
      targets: moving.map((c) => ({ host: c.host, body: c.containerId })),
      intervalMs,
      deadlineMs: 120_000 + count * 2_000,
    });
    const ready = await before.done;
    const unserved = ready.servedAt.filter((s) => s.at === null).length;
    // Only containers served before the kill are timed after it (one still registering would count its
    // registration as failover).
    const servedHosts = new Set(ready.servedAt.filter((s) => s.at !== null).map((s) => s.host));
    const timed = moving.filter((c) => servedHosts.has(c.host));
    console.error(
      `run ${run}: ${count} containers up in ${((Date.now() - t0) / 1000).toFixed(0)} s, ${moving.length} held by gw1, ${moving.length - unserved} served through gw2/gw3 before the kill`,
    );
    const killedAt = Date.now();
    await pool.gateways[0]?.crash();
    const probe = await startProbe<ProbeResult>(pool, {
      mode: 'failover',
      via: [2, 3].map((g) => pool.gateways[g - 1]?.backbone),
      targets: timed.map((c) => ({ host: c.host, body: c.containerId })),
      intervalMs,
      deadlineMs: DEADLINE_MS,
    }).done;
    const times = probe.servedAt.filter((s) => s.at !== null).map((s) => (s.at as number) - killedAt);
    const after = await holders(pool, [2, 3]);
    const moved = [2, 3].map((g) => moving.filter((c) => after.get(c.containerId) === g).length);
    const row = {
      moving: timed.length,
      back: times.length,
      p50: quantile(times, 0.5),
      p95: quantile(times, 0.95),
      max: quantile(times, 1),
      first: quantile(times, 0),
    };
    console.error(
      `run ${run}: ${row.back}/${row.moving} served again through gw2/gw3 after kill -9 of gw1 (now held: gw2 ${moved[0]}, gw3 ${moved[1]}): first ${row.first} ms, p50 ${row.p50} ms, p95 ${row.p95} ms, max ${row.max} ms`,
    );
    return row;
  } finally {
    await pool.destroy();
  }
}

const rows = [];
for (let run = 1; run <= runs; run++) rows.push(await oneRun(run));
console.log(
  `kill -9 of the gateway holding ${count} containers, ${runs} run(s), median (min to max) over runs, ms from the kill to served again:\n` +
    `  first ${spread(
      rows.map((r) => r.first),
      0,
    )}, p50 ${spread(
      rows.map((r) => r.p50),
      0,
    )}, p95 ${spread(
      rows.map((r) => r.p95),
      0,
    )}, max ${spread(
      rows.map((r) => r.max),
      0,
    )}; served again ${rows.map((r) => `${r.back}/${r.moving}`).join(', ')}`,
);
