/**
 * Legacy container start -> first proxied 200: the real gateway with its OpenVPN in a namespace (Redis on
 * its loopback, the Stage 1 TLS front), N legacy containers (the unchanged legacy bootstrap plus a small
 * HTTP service on 7681) started at once, each in its own namespaces. A poller inside gw asks every
 * container's hostname through the front (every 200 ms) and records its first 200. Also reports when each
 * tunnel came up (the gateway's "vpn client established" log lines).
 *
 * Usage (root): npx tsx scripts/bench/vpn-startup.ts [--containers 1,20] [--repeat 1] [--fast]
 *   --repeat N  runs each size N times (fresh namespaces, gateway and Redis each time), samples pooled
 *   --fast  the legacy intervals shortened to 3 s (LEGACY_SLEEP, LEGACY_SERVICE_SLEEP, LEGACY_RETRY_SLEEP),
 *           as the end-to-end test runs them; without it the legacy defaults (15 s, 15 s, 10 s) apply.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { serviceHostname } from '../../shared/hostnames.ts';
import { createTopology } from '../../test/e2e/support/netns.ts';
import { startVpnGateway } from '../../test/e2e/support/vpn-gateway.ts';
import { startLegacyContainer } from '../../test/e2e/vpn/legacy-container.ts';

const DOMAIN = 'bench.test';
const FQDN = `gw.${DOMAIN}`;
const POLL_INTERVAL_MS = 200;
const POLL_LIMIT_MS = 180_000;

const { values } = parseArgs({
  options: {
    containers: { type: 'string', default: '1,20' },
    repeat: { type: 'string', default: '1' },
    fast: { type: 'boolean', default: false },
  },
});
const sizes = String(values.containers)
  .split(',')
  .map((v) => Number(v))
  .filter((n) => Number.isInteger(n) && n >= 1 && n <= 50);
if (sizes.length === 0) throw new Error('--containers takes sizes from 1 to 50, e.g. 1,20');
const repeat = Number(values.repeat);
if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) throw new Error('--repeat takes 1 to 20');
const legacyEnv: Record<string, string> = values.fast
  ? { LEGACY_SLEEP: '3', LEGACY_SERVICE_SLEEP: '3', LEGACY_RETRY_SLEEP: '3' }
  : {};

/** Runs inside gw: polls each hostname through the front until its first 200, prints `{host, at}` lines. */
const POLLER = `
const https = require('node:https');
const hosts = JSON.parse(process.env.POLL_HOSTS);
const pending = new Set(hosts);
const deadline = Date.now() + Number(process.env.POLL_LIMIT_MS);
const again = (host) => {
  if (Date.now() > deadline) { console.log(JSON.stringify({ timedOut: [...pending] })); process.exit(1); }
  setTimeout(() => poll(host), Number(process.env.POLL_INTERVAL_MS));
};
const poll = (host) => {
  const req = https.get({ host: process.env.FRONT, port: 443, path: '/whoami', servername: host,
    headers: { host }, rejectUnauthorized: false, agent: false, timeout: 2000 }, (res) => {
    res.resume();
    if (res.statusCode !== 200) return again(host);
    pending.delete(host);
    console.log(JSON.stringify({ host, at: Date.now() }));
    if (pending.size === 0) process.exit(0);
  });
  req.on('timeout', () => req.destroy());
  req.on('error', () => again(host));
};
hosts.forEach(poll);
`;

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
const seconds = (ms: number) => (ms / 1000).toFixed(1);
const summary = (samples: number[]) => {
  const s = [...samples].sort((a, b) => a - b);
  return `min ${seconds(s[0] ?? Number.NaN)}  median ${seconds(quantile(s, 0.5))}  p90 ${seconds(quantile(s, 0.9))}  max ${seconds(s.at(-1) ?? Number.NaN)} s`;
};

interface Samples {
  tunnel: number[];
  served: number[];
  connects: number;
}

async function run(count: number, into: Samples): Promise<void> {
  const identities = Array.from({ length: count }, (_, i) => ({
    containerId: `uc_bench${i + 1}`,
    projectId: randomUUID(),
    orgId: `bench${i + 1}`,
  }));
  const hosts = identities.map((id) => serviceHostname({ ...id, domain: DOMAIN }));
  const topology = await createTopology({ containers: count, gatewayHostnames: [FQDN] });
  const gateway = await startVpnGateway({ topology, domain: DOMAIN, fqdn: FQDN, env: { LOG_LEVEL: 'info' } });
  try {
    const tokens = await Promise.all(identities.map((id) => gateway.token(id)));
    const poller = topology.spawnIn(topology.gw, process.execPath, ['-e', POLLER], {
      env: {
        POLL_HOSTS: JSON.stringify(hosts),
        FRONT: topology.gwAddress,
        POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
        POLL_LIMIT_MS: String(POLL_LIMIT_MS),
      },
    });
    const startedAt = new Map<string, number>();
    for (const [i, id] of identities.entries()) {
      const ns = topology.containers[i]?.ns ?? '';
      startedAt.set(id.containerId, Date.now());
      startLegacyContainer(topology, ns, { ...id, token: tokens[i] ?? '', gatewayFqdn: FQDN, legacyEnv });
    }
    const code = await poller.exited;
    if (code !== 0) throw new Error(`not every container was served: ${poller.output().slice(-1000)}`);

    const firstServed: number[] = [];
    for (const line of poller.stdout().split('\n').filter(Boolean)) {
      const { host, at } = JSON.parse(line) as { host: string; at: number };
      const id = identities[hosts.indexOf(host)];
      firstServed.push(at - (startedAt.get(id?.containerId ?? '') ?? at));
    }
    // The first tunnel of each container; a legacy client whose first try was too slow connects again.
    const tunnelUp = new Map<string, number>();
    let connects = 0;
    for (const line of gateway.output().split('\n')) {
      if (!line.includes('"vpn client established"')) continue;
      const entry = JSON.parse(line) as { time: string; containerId: string };
      const started = startedAt.get(entry.containerId);
      if (started === undefined) continue;
      connects++;
      if (!tunnelUp.has(entry.containerId)) tunnelUp.set(entry.containerId, Date.parse(entry.time) - started);
    }
    into.tunnel.push(...tunnelUp.values());
    into.served.push(...firstServed);
    into.connects += connects;
  } finally {
    await gateway.close().catch(() => undefined);
    await topology.destroy();
  }
}

for (const size of sizes) {
  const samples: Samples = { tunnel: [], served: [], connects: 0 };
  for (let i = 0; i < repeat; i++) await run(size, samples);
  const runs = repeat > 1 ? `, ${repeat} runs` : '';
  console.log(`${size} container(s) started at once${values.fast ? ' (--fast intervals)' : ''}${runs}:`);
  console.log(`  first tunnel         ${summary(samples.tunnel)} (${samples.connects} connects in all)`);
  console.log(`  first proxied 200    ${summary(samples.served)}`);
}
