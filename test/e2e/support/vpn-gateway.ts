/**
 * The real gateway with its VPN, inside a topology's `gw` namespace, as production runs it: Redis on
 * gw's loopback (it outlives gateway restarts), the gateway as root with OpenVPN as its child, and the
 * Stage 1 TLS front on the underlay address :443 forwarding to the gateway's public listener.
 *
 *   startVpnGateway({ topology, domain, fqdn, env?, ns?, address?, redisUrl?, seed? }) -> Promise<VpnGateway>
 *     ns, address: the namespace and underlay address (default topology.gw, topology.gwAddress)
 *     redisUrl: a store elsewhere (a pool's); then no Redis is started in the namespace
 *     seed(dataDir): called before the first start (a pool copies its shared development key in)
 *     frontIdentity: a JSON {cert, key} file the TLS front presents (a pool's fronts share one)
 *     .start() / .stop() / .restart()   the gateway process only (same DATA_DIR, same Redis);
 *                                       start resolves once /readyz reports `vpn: ok`
 *     .token({containerId, projectId, orgId})   a container token signed with the gateway's dev key
 *     .admin(path, method?)             JSON from the admin listener (127.0.0.1:ADMIN_PORT in gw)
 *     .redis(...args)                   redis-cli against the gateway's Redis, stdout trimmed
 *     .gatewayctl(...args)              the ops CLI in gw against the admin API, stdout
 *     .inGw                             a Runner executing commands in gw (for curlIn)
 *     .openvpnPid()                     PID of the running gateway's OpenVPN child, or null
 *     .frontCertificate()               the TLS front's (self-signed) certificate as PEM, read from a
 *                                       handshake in gw: the CA an agent pins
 *     .output()                         the current gateway process's output (for failure messages)
 *     .close()                          gateway, front and Redis stopped, DATA_DIR removed
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintContainerToken } from '../../../gateway/auth/container-token.ts';
import { readDevKey } from '../../../gateway/auth/dev-key.ts';
import type { ContainerIdentity } from '../../../shared/protocol.ts';
import { requireCommand } from '../../support/prerequisites.ts';
import { curlIn, jsonIn, type Runner } from './curl-in.ts';
import { startTlsTerminatorIn } from './front.ts';
import type { Namespaces, Topology } from './netns.ts';
import { runCommand, type TrackedProcess } from './processes.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = join(REPO, 'node_modules/.bin/tsx');
/** Fixed ports are fine: gw is a private namespace of this run. */
const PUBLIC_PORT = 8080;
const ADMIN_PORT = 9090;
const REDIS_PORT = 6379;
const READY_WAIT_MS = 45_000;

export interface VpnGatewayOptions {
  topology: Namespaces & Partial<Pick<Topology, 'gw' | 'gwAddress'>>;
  domain: string;
  fqdn: string;
  env?: Record<string, string>;
  ns?: string;
  address?: string;
  redisUrl?: string;
  seed?: (dataDir: string) => void;
  frontIdentity?: string;
}

export interface VpnGateway {
  readonly dataDir: string;
  readonly adminUrl: string;
  readonly inGw: Runner;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  token(identity: ContainerIdentity): Promise<string>;
  admin<T = unknown>(path: string, method?: string): Promise<T>;
  redis(...args: string[]): Promise<string>;
  gatewayctl(...args: string[]): Promise<string>;
  openvpnPid(): number | null;
  frontCertificate(): Promise<string>;
  output(): string;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Children of `pid` (from /proc), empty when it has none or is gone. */
function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The first `openvpn` below `root` (the gateway runs under `ip netns exec` and tsx: a few levels down). */
function findOpenvpn(root: number): number | null {
  const queue = [root];
  for (let seen = 0; queue.length > 0 && seen < 64; seen++) {
    const pid = queue.shift() as number;
    if (pid !== root && commandName(pid) === 'openvpn') return pid;
    queue.push(...childPids(pid));
  }
  return null;
}

/** The certificate the TLS front presents for `fqdn`, as PEM (read with a TLS handshake inside gw). */
async function frontCertificate(
  topology: Namespaces,
  ns: string,
  address: string,
  fqdn: string,
): Promise<string> {
  const script = `const s = require('node:tls').connect({ host: '${address}', port: 443,
    servername: '${fqdn}', rejectUnauthorized: false }, () => {
    process.stdout.write(s.getPeerX509Certificate().toString()); s.end(); });
  s.on('error', (e) => { console.error(e.message); process.exit(1); });`;
  const out = await topology.exec(ns, process.execPath, ['-e', script]);
  if (!out.stdout.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(`no certificate from the TLS front: ${out.stdout}${out.stderr}`);
  return out.stdout;
}

/** PIDs in `ns` whose command name is `name` (OpenVPN must not outlive its gateway). */
async function pidsNamed(ns: string, name: string): Promise<number[]> {
  const pids = await runCommand('ip', ['netns', 'pids', ns], { allowFailure: true });
  const found: number[] = [];
  for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) {
    const comm = await runCommand('cat', [`/proc/${pid}/comm`], { allowFailure: true });
    if (comm.stdout.trim() === name) found.push(Number(pid));
  }
  return found;
}

export async function startVpnGateway(options: VpnGatewayOptions): Promise<VpnGateway> {
  for (const [command, pkg] of [
    ['openvpn', 'openvpn'],
    ['redis-server', 'redis-server'],
    ['redis-cli', 'redis-tools'],
    ['curl', 'curl'],
  ] as const)
    requireCommand(command, pkg);
  const { topology } = options;
  const gw = options.ns ?? topology.gw ?? '';
  const address = options.address ?? topology.gwAddress ?? '';
  const dataDir = mkdtempSync(join(tmpdir(), 'dg-e2e-vpn-'));
  options.seed?.(dataDir);
  const inGw: Runner = (cmd, args, opts) => topology.exec(gw, cmd, args, opts);
  const adminUrl = `http://127.0.0.1:${ADMIN_PORT}`;
  const redisUrl = options.redisUrl ?? `redis://127.0.0.1:${REDIS_PORT}`;

  const redisServer = options.redisUrl
    ? undefined
    : topology.spawnIn(gw, 'redis-server', [
        '--port',
        String(REDIS_PORT),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dataDir,
      ]);
  await redisServer?.waitForOutput('Ready to accept connections', 10_000);

  const env = {
    VPN_ENABLED: 'true',
    VPN_LISTEN: address,
    VPN_PROTO: 'udp',
    GATEWAY_FQDN: options.fqdn,
    DOMAIN: options.domain,
    REDIS_URL: redisUrl,
    HOST: '127.0.0.1',
    PORT: String(PUBLIC_PORT),
    ADMIN_PORT: String(ADMIN_PORT),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    // Stopped with SIGTERM: no drain grace unless a test asks for one.
    DRAIN_GRACE: '0',
    ...options.env,
  };
  let gateway: TrackedProcess | undefined;

  const waitReady = async (process: TrackedProcess) => {
    const deadline = Date.now() + READY_WAIT_MS;
    let last = '';
    while (Date.now() < deadline) {
      if (process.child.exitCode !== null || process.child.signalCode !== null)
        throw new Error(`the gateway exited (${await process.exited}):\n${process.output().slice(-3000)}`);
      const answer = await curlIn(inGw, `${adminUrl}/readyz`, { maxTimeSeconds: 2 });
      last = `${answer.status} ${answer.body}`;
      if (answer.status === 200 && /"vpn"\s*:\s*"ok"/.test(answer.body)) return;
      await sleep(200);
    }
    throw new Error(
      `the gateway was not ready with vpn ok in ${READY_WAIT_MS} ms (last /readyz: ${last}):\n${process
        .output()
        .slice(-3000)}`,
    );
  };

  const handle: VpnGateway = {
    dataDir,
    adminUrl,
    inGw,
    async start() {
      if (gateway && gateway.child.exitCode === null) throw new Error('the gateway is already running');
      gateway = topology.spawnIn(gw, TSX, ['gateway/main.ts'], { cwd: REPO, env });
      await waitReady(gateway);
    },
    async stop() {
      const running = gateway;
      if (!running) return;
      if (running.child.exitCode === null && running.child.signalCode === null) {
        running.child.kill('SIGTERM');
        const bounded = sleep(10_000).then(() => 'timeout');
        if ((await Promise.race([running.exited, bounded])) === 'timeout') await running.kill();
      }
      // Its OpenVPN goes with it (a leftover would hold the port and tun0 for the next start). OpenVPN
      // exits 3 to 6 s after its SIGTERM (explicit-exit-notify 2 tells clients first: gateway/pool/README.md),
      // so up to 10 s are allowed; one CI run saw it still there after 5.
      for (let i = 0; i < 100 && (await pidsNamed(gw, 'openvpn')).length > 0; i++) await sleep(100);
      const left = await pidsNamed(gw, 'openvpn');
      if (left.length > 0) throw new Error(`openvpn (${left.join(', ')}) outlived the stopped gateway`);
    },
    async restart() {
      await handle.stop();
      await handle.start();
    },
    async token(identity) {
      const key = await readDevKey(dataDir);
      if (!key) throw new Error(`the gateway wrote no development key into ${dataDir}`);
      return mintContainerToken(key, identity);
    },
    admin: (path, method = 'GET') => jsonIn(inGw, `${adminUrl}${path}`, { method }),
    async redis(...args) {
      const out = await inGw('redis-cli', ['-u', redisUrl, ...args]);
      return out.stdout.trim();
    },
    async gatewayctl(...args) {
      // No REDIS_URL: gatewayctl would read Redis directly; the VPN commands go through the admin API.
      const out = await topology.exec(gw, join(REPO, 'node_modules/.bin/gatewayctl'), args, {
        env: { ADMIN_PORT: String(ADMIN_PORT), REDIS_URL: '', DATA_DIR: dataDir },
      });
      return out.stdout;
    },
    openvpnPid: () => (gateway ? findOpenvpn(gateway.pid) : null),
    frontCertificate: () => frontCertificate(topology, gw, address, options.fqdn),
    output: () => gateway?.output() ?? '',
    async close() {
      try {
        await handle.stop();
      } finally {
        await redisServer?.kill();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };

  try {
    await startTlsTerminatorIn(topology, gw, {
      listen: `${address}:443`,
      upstream: `127.0.0.1:${PUBLIC_PORT}`,
      identityFile: options.frontIdentity,
      names: [options.fqdn, `*.org-*.${options.domain}`, `*.${options.domain}`],
    });
    await handle.start();
  } catch (error) {
    // The start-up error is the one to report; closing only clears what did start.
    await handle.close().catch(() => undefined);
    throw error;
  }
  return handle;
}
