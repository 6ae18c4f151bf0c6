/**
 * A request to a container held by another gateway against one held locally (issue 16, Measure), on the
 * pool test bed: uc1 is held by gw1, uc2 by gw2; wrk in the front namespace sends requests to gw1's public
 * listener for uc1 (local: gw1 dials its own tunnel) and for uc2 (remote: gw1 dials uc2's address, the
 * kernel route sends it over the backbone to gw2, which forwards it into its tunnel). Runs alternate in
 * each repetition (order flipped each time); p50/p99 added = remote - local of the same repetition. The
 * holder's (gw2's) Node process and OpenVPN CPU come from /proc/<pid>/stat before and after each run.
 * A second pair without the proxy (wrk inside gw1 straight to each container's VPN address) shows what
 * the network path alone adds. Goal: p99 added at most 2 ms, the holder's Node process no busier.
 * Usage (root): npx tsx scripts/bench/pool-forwarding.ts [--reps 5] [--duration 5] [--connections 1]
 */
import { parseArgs } from 'node:util';
import { createPool } from '../../test/e2e/support/pool-topology.ts';
import {
  cpuSeconds,
  DOMAIN,
  FQDN,
  gatewayPids,
  holders,
  PUBLIC_PORT,
  quantile,
  runProbe,
  sleep,
  spread,
  startNodeContainer,
  waitForTunnels,
} from './lib/pool-bed.ts';
import { parseWrk, type WrkResult } from './lib/wrk.ts';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '1' },
    alternate: { type: 'string', default: '2000' },
  },
});
const reps = Math.min(Math.max(1, Number(values.reps)), 30);
const duration = Math.min(Math.max(1, Number(values.duration)), 60);
const connections = Math.min(Math.max(1, Number(values.connections)), 64);
const alternateRequests = Math.min(Math.max(2, Number(values.alternate)), 100_000);

const pool = await createPool({ containers: 2, domain: DOMAIN, fqdn: FQDN, prefers: (i) => i });
try {
  const [uc1, uc2] = [await startNodeContainer(pool, 1), await startNodeContainer(pool, 2)];
  if (!uc1 || !uc2) throw new Error('no containers');
  const addresses = await waitForTunnels(pool, [uc1, uc2], 90_000);
  const held = await holders(pool);
  if (held.get(uc1.containerId) !== 1 || held.get(uc2.containerId) !== 2)
    throw new Error(`unexpected holders: ${JSON.stringify([...held])}`);
  const gw1 = pool.gateways[0]?.backbone as string;
  // Both hostnames served through gw1 before measuring (registration over the tunnels takes a few s).
  for (const c of [uc1, uc2]) {
    const deadline = Date.now() + 60_000;
    while ((await pool.direct(1, c.host, '/whoami')).body !== c.containerId) {
      if (Date.now() > deadline) throw new Error(`${c.host} not served through gw1`);
      await sleep(500);
    }
  }
  const holder = gatewayPids(pool, 2);
  const proxy = gatewayPids(pool, 1);

  const wrk = async (ns: string, url: string, host?: string) => {
    const args = ['-t1', `-c${connections}`, `-d${duration}s`, '--latency'];
    if (host) args.push('-H', `Host: ${host}`);
    const out = await pool.net.exec(ns, 'wrk', [...args, url], { timeoutMs: (duration + 30) * 1_000 });
    return parseWrk(out.stdout);
  };
  interface Run {
    wrk: WrkResult;
    holderNodeUs: number;
    holderVpnUs: number;
    proxyVpnUs: number;
  }
  const measured = async (run: () => Promise<WrkResult>): Promise<Run> => {
    const before = [cpuSeconds(holder.node), cpuSeconds(holder.openvpn), cpuSeconds(proxy.openvpn)];
    const result = await run();
    const after = [cpuSeconds(holder.node), cpuSeconds(holder.openvpn), cpuSeconds(proxy.openvpn)];
    const perRequest = (k: number) =>
      (((after[k] as number) - (before[k] as number)) * 1e6) / result.requests;
    return {
      wrk: result,
      holderNodeUs: perRequest(0),
      holderVpnUs: perRequest(1),
      proxyVpnUs: perRequest(2),
    };
  };
  const pairs = {
    proxy: {
      local: () => wrk(pool.front.ns, `http://${gw1}:${PUBLIC_PORT}/whoami`, uc1.host),
      remote: () => wrk(pool.front.ns, `http://${gw1}:${PUBLIC_PORT}/whoami`, uc2.host),
    },
    network: {
      local: () =>
        wrk(pool.gateways[0]?.ns as string, `http://${addresses.get(uc1.containerId)}:7681/whoami`),
      remote: () =>
        wrk(pool.gateways[0]?.ns as string, `http://${addresses.get(uc2.containerId)}:7681/whoami`),
    },
  };
  console.error(`warm-up; then ${reps} repetitions of ${duration} s, wrk -t1 -c${connections}`);
  await pairs.proxy.local();
  await pairs.proxy.remote();
  for (const [name, pair] of Object.entries(pairs)) {
    const rows: { local: Run; remote: Run }[] = [];
    for (let rep = 0; rep < reps; rep++) {
      const order = rep % 2 === 0 ? (['local', 'remote'] as const) : (['remote', 'local'] as const);
      const row = {} as { local: Run; remote: Run };
      for (const which of order) row[which] = await measured(pair[which]);
      rows.push(row);
      console.error(
        `${name} rep ${rep + 1}: local p50/p99 ${row.local.wrk.p50Ms}/${row.local.wrk.p99Ms} ms (${row.local.wrk.requests} req, ${row.local.wrk.errors} errors), remote ${row.remote.wrk.p50Ms}/${row.remote.wrk.p99Ms} ms (${row.remote.wrk.requests} req, ${row.remote.wrk.errors} errors)`,
      );
    }
    const of = (f: (r: { local: Run; remote: Run }) => number, digits = 2) => spread(rows.map(f), digits);
    console.log(
      `\n${name === 'proxy' ? 'through gw1 (the gateway proxy)' : 'inside gw1 without the proxy (network path only)'}, ${reps} paired repetitions, median (min to max):`,
    );
    console.log(
      `  local  p50 ${of((r) => r.local.wrk.p50Ms)} ms, p99 ${of((r) => r.local.wrk.p99Ms)} ms, req/s ${of((r) => r.local.wrk.requestsPerSecond, 0)}`,
    );
    console.log(
      `  remote p50 ${of((r) => r.remote.wrk.p50Ms)} ms, p99 ${of((r) => r.remote.wrk.p99Ms)} ms, req/s ${of((r) => r.remote.wrk.requestsPerSecond, 0)}`,
    );
    console.log(
      `  added  p50 ${of((r) => r.remote.wrk.p50Ms - r.local.wrk.p50Ms)} ms, p99 ${of((r) => r.remote.wrk.p99Ms - r.local.wrk.p99Ms)} ms`,
    );
    console.log(
      `  holder gw2 Node CPU µs/req: during remote ${of((r) => r.remote.holderNodeUs)}, during local (gw2 idle for these requests) ${of((r) => r.local.holderNodeUs)}`,
    );
    console.log(
      `  OpenVPN CPU µs/req: holder gw2 during remote ${of((r) => r.remote.holderVpnUs)}; gw1 during local ${of((r) => r.local.proxyVpnUs)}`,
    );
  }
  // Request by request: local and remote alternate on one keep-alive connection (a bounded Node loop).
  const alternating: { p50: [number, number]; p99: [number, number]; errors: number }[] = [];
  for (let rep = 0; rep < reps; rep++) {
    const { samples, errors } = await runProbe<{ samples: [number[], number[]]; errors: number }>(
      pool,
      {
        mode: 'alternate',
        gateway: gw1,
        hosts: [uc1.host, uc2.host],
        requests: alternateRequests,
        deadlineMs: 120_000,
      },
      180_000,
    );
    const p = (q: number) => samples.map((s) => quantile(s, q)) as [number, number];
    alternating.push({ p50: p(0.5), p99: p(0.99), errors });
    console.error(
      `alternating rep ${rep + 1}: local p50/p99 ${p(0.5)[0].toFixed(2)}/${p(0.99)[0].toFixed(2)} ms, remote ${p(0.5)[1].toFixed(2)}/${p(0.99)[1].toFixed(2)} ms, ${errors} errors`,
    );
  }
  const alt = (f: (r: (typeof alternating)[number]) => number) => spread(alternating.map(f));
  console.log(
    `\nthrough gw1, local and remote requests alternating on one connection (${alternateRequests} requests a repetition), ${reps} repetitions, median (min to max):`,
  );
  console.log(`  local  p50 ${alt((r) => r.p50[0])} ms, p99 ${alt((r) => r.p99[0])} ms`);
  console.log(`  remote p50 ${alt((r) => r.p50[1])} ms, p99 ${alt((r) => r.p99[1])} ms`);
  console.log(
    `  added  p50 ${alt((r) => r.p50[1] - r.p50[0])} ms, p99 ${alt((r) => r.p99[1] - r.p99[0])} ms; errors ${alternating.reduce((n, r) => n + r.errors, 0)}`,
  );
} finally {
  await pool.destroy();
}
