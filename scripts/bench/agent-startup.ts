/**
 * Agent start-up benchmark (issue 5's "Measure"): how long from the container starting the COMPILED agent
 * until its service answers through the proxy, plus the binary's size and the agent's resident memory.
 * The same namespace set-up as test/e2e/agent/: the gateway (VPN on, Redis, TLS terminator) in gw, one
 * fresh container per repetition (new container id: certificate issued, address allocated, route created,
 * as on a first boot). A measuring tool, not a test: nothing here asserts a time. Run as root:
 *
 *   npx tsx scripts/bench/agent-startup.ts [--reps 5] [--idle-seconds 20] [--json out.json]
 *
 * Clock: the container prints `date +%s%3N` just before it execs the agent; a poller inside gw GETs
 * `https://uc-<c>.org-<o>.<domain>/whoami` through the terminator every 10 ms and prints the epoch ms of
 * the first 200 with the right body. Both read the same machine clock. Phases come from the agent's log
 * (`openvpn started` = the .ovpn was fetched and written, `tunnel up` = tun0 has its address).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { compileAgent } from '../../test/e2e/agent/agent-binary.ts';
import { agentLog, agentStartedAt, startAgentContainer } from '../../test/e2e/agent/agent-container.ts';
import { createTopology } from '../../test/e2e/support/netns.ts';
import { startVpnGateway } from '../../test/e2e/support/vpn-gateway.ts';

const DOMAIN = 'bench.test';
const FQDN = `gw.${DOMAIN}`;
const ORG = 'o1';
const PROJECT = 'p1';
const POLL_MS = 10;
const REACH_TIMEOUT_MS = 30_000;

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '5' },
    'idle-seconds': { type: 'string', default: '20' },
    json: { type: 'string' },
  },
});
const reps = Number(values.reps);
const idleSeconds = Number(values['idle-seconds']);
if (!Number.isInteger(reps) || reps < 1 || reps > 50 || !Number.isFinite(idleSeconds) || idleSeconds < 0) {
  process.stderr.write('usage: agent-startup.ts [--reps 1..50] [--idle-seconds N] [--json file]\n');
  process.exit(2);
}

interface Sample {
  containerId: string;
  fetchedMs: number | null;
  tunnelUpMs: number | null;
  reachableMs: number;
  rssAtReachableKb: number;
}

const progress = (line: string) => process.stderr.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** VmRSS and VmHWM (kB) of a process. */
async function memoryOf(read: (file: string) => Promise<string>): Promise<{ rss: number; hwm: number }> {
  const status = await read('/proc/1/status');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** A poller in gw: prints `reachable <epoch ms>` at the first 200 whose body is the container id. */
function pollerScript(hostname: string, containerId: string, gwAddress: string): string {
  return `const https = require('node:https');
const deadline = Date.now() + ${REACH_TIMEOUT_MS};
const once = () => https.get({ host: '${gwAddress}', port: 443, path: '/whoami', servername: '${hostname}',
  headers: { host: '${hostname}' }, rejectUnauthorized: false, agent: false }, (res) => {
  let body = ''; res.on('data', (d) => (body += d)); res.on('end', () => {
    if (res.statusCode === 200 && body === '${containerId}') { console.log('reachable ' + Date.now()); process.exit(0); }
    again(); });
}).on('error', again);
function again() { if (Date.now() > deadline) { console.log('timeout'); process.exit(1); } setTimeout(once, ${POLL_MS}); }
once();`;
}

const agent = await compileAgent();
const topology = await createTopology({ containers: reps, gatewayHostnames: [FQDN] });
const gateway = await startVpnGateway({ topology, domain: DOMAIN, fqdn: FQDN }).catch(async (error) => {
  await topology.destroy();
  agent.dispose();
  throw error;
});
const samples: Sample[] = [];
let idle: { rss: number; hwm: number } | undefined;
try {
  const caPem = await gateway.frontCertificate();
  progress(`agent binary: ${agent.sizeBytes} bytes; ${reps} repetition(s)`);
  for (const [i, ns] of topology.containers.entries()) {
    const containerId = `bench-${i + 1}`;
    const hostname = `uc-${containerId}.org-${ORG}.${DOMAIN}`;
    const poller = topology.spawnIn(topology.gw, process.execPath, [
      '-e',
      pollerScript(hostname, containerId, topology.gwAddress),
    ]);
    const container = startAgentContainer(topology, ns.ns, {
      agent: agent.path,
      containerId,
      projectId: PROJECT,
      orgId: ORG,
      token: await gateway.token({ containerId, projectId: PROJECT, orgId: ORG }),
      gatewayFqdn: FQDN,
      caPem,
      entrypoint: 'exec "$DEMIURGE_AGENT" run --service web:8080:public',
    });
    const reached = Number((await poller.waitForOutput(/reachable (\d+)/, REACH_TIMEOUT_MS + 5_000))[1]);
    const read = async (file: string) => (await container.exec('cat', [file])).stdout;
    const memory = await memoryOf(read);
    const startedAt = agentStartedAt(container.output());
    if (startedAt === undefined) throw new Error(`no agent-start marker:\n${container.output()}`);
    const log = agentLog(container.output());
    const at = (message: string) => {
      const record = log.find((r) => r.message === message);
      return record ? Date.parse(record.time) - startedAt : null;
    };
    const sample: Sample = {
      containerId,
      fetchedMs: at('openvpn started'),
      tunnelUpMs: at('tunnel up'),
      reachableMs: reached - startedAt,
      rssAtReachableKb: memory.rss,
    };
    samples.push(sample);
    progress(JSON.stringify(sample));
    if (i === topology.containers.length - 1 && idleSeconds > 0) {
      // Steady state: at least one more watchdog and registration round (every 15 s).
      await sleep(idleSeconds * 1000);
      idle = await memoryOf(read);
    }
    await container.kill();
  }
} finally {
  await gateway.close();
  await topology.destroy();
  agent.dispose();
}

const column = (pick: (s: Sample) => number | null) => {
  const xs = samples.map(pick).filter((x): x is number => x !== null);
  return xs.length ? `${median(xs)} (min ${Math.min(...xs)}, max ${Math.max(...xs)})` : 'n/a';
};
const lines = [
  `agent binary (bun-linux-x64, --minify): ${(agent.sizeBytes / 2 ** 20).toFixed(1)} MiB (${agent.sizeBytes} bytes)`,
  `agent start -> .ovpn fetched, openvpn started: ${column((s) => s.fetchedMs)} ms`,
  `agent start -> tun0 has its address:          ${column((s) => s.tunnelUpMs)} ms`,
  `agent start -> service 200 through the proxy:  ${column((s) => s.reachableMs)} ms   (goal < 2000)`,
  `agent RSS when reachable:                      ${column((s) => s.rssAtReachableKb)} kB`,
  ...(idle
    ? [`agent RSS after ${idleSeconds} s more:             ${idle.rss} kB (peak ${idle.hwm} kB)`]
    : []),
  `medians over ${samples.length} repetition(s)`,
];
process.stdout.write(`${lines.join('\n')}\n`);
if (values.json)
  writeFileSync(values.json, JSON.stringify({ binaryBytes: agent.sizeBytes, samples, idle }, null, 2));
