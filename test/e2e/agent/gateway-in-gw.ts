/**
 * The real gateway with its VPN inside a topology's `gw` namespace, as the agent meets it in production:
 * its own Redis on gw's loopback, the gateway (Node, root) supervising OpenVPN, and the Stage 1 TLS
 * terminator on the underlay address :443 in front of the gateway's public listener.
 *
 *   startGatewayInGw({ topology, domain, fqdn }) -> Promise<GatewayInGw>
 *     .caPem                 the TLS terminator's (self-signed) certificate, read from a handshake in gw:
 *                            the CA an agent pins
 *     .token(identity)       a container token signed with the gateway's development key
 *     .admin(path, method?)  JSON from the admin listener (127.0.0.1:ADMIN_PORT inside gw)
 *     .proxyGet(hostname, path?)  GET https://<hostname><path> through the terminator, from gw -> {status, body}
 *     .openvpnPid()          PID of the gateway's OpenVPN child (a child of the gateway process), or null
 *     .output()              the gateway's output (for failure messages)
 *     .close()               gateway, Redis and DATA_DIR gone (the terminator dies with the topology)
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintContainerToken } from '../../../gateway/auth/container-token.ts';
import { readDevKey } from '../../../gateway/auth/dev-key.ts';
import type { ContainerIdentity } from '../../../shared/protocol.ts';
import { requireCommand } from '../../support/prerequisites.ts';
import { startTlsTerminatorIn } from '../support/front.ts';
import type { Topology } from '../support/netns.ts';
import type { TrackedProcess } from '../support/processes.ts';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = join(REPO, 'node_modules/.bin/tsx');
/** Fixed ports are fine: gw is a private namespace of this run. */
const PUBLIC_PORT = 8080;
const ADMIN_PORT = 9090;
const REDIS_PORT = 6379;
const READY_WAIT_MS = 45_000;
const STATUS_MARK = '\n--status:';

export interface GatewayInGw {
  readonly caPem: string;
  token(identity: ContainerIdentity): Promise<string>;
  admin<T = unknown>(path: string, method?: string): Promise<T>;
  proxyGet(hostname: string, path?: string): Promise<{ status: number; body: string }>;
  openvpnPid(): number | null;
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

/** Starts Redis, the gateway with VPN_ENABLED=true and the TLS terminator in `topology.gw`. */
export async function startGatewayInGw(options: {
  topology: Topology;
  domain: string;
  fqdn: string;
}): Promise<GatewayInGw> {
  for (const [command, pkg] of [
    ['openvpn', 'openvpn'],
    ['redis-server', 'redis-server'],
    ['curl', 'curl'],
  ] as const)
    requireCommand(command, pkg);
  const { topology, domain, fqdn } = options;
  const gw = topology.gw;
  const dataDir = await mkdtemp(join(tmpdir(), 'dg-e2e-agent-'));
  const curl = async (args: string[]) => {
    const out = await topology.exec(gw, 'curl', ['-sk', '--max-time', '10', ...args], {
      allowFailure: true,
      timeoutMs: 15_000,
    });
    const at = out.stdout.lastIndexOf(STATUS_MARK);
    if (at < 0) return { status: 0, body: out.stdout };
    return { status: Number(out.stdout.slice(at + STATUS_MARK.length)), body: out.stdout.slice(0, at) };
  };
  const adminUrl = `http://127.0.0.1:${ADMIN_PORT}`;
  let redis: TrackedProcess | undefined;
  let gateway: TrackedProcess | undefined;

  const close = async () => {
    if (gateway && gateway.child.exitCode === null && gateway.child.signalCode === null) {
      gateway.child.kill('SIGTERM');
      if ((await Promise.race([gateway.exited, sleep(10_000).then(() => 'timeout')])) === 'timeout')
        await gateway.kill();
    }
    await redis?.kill();
    await rm(dataDir, { recursive: true, force: true });
  };

  try {
    redis = topology.spawnIn(gw, 'redis-server', [
      ...['--port', String(REDIS_PORT), '--bind', '127.0.0.1'],
      ...['--save', '', '--appendonly', 'no', '--dir', dataDir],
    ]);
    await redis.waitForOutput('Ready to accept connections', 10_000);
    const running = topology.spawnIn(gw, TSX, ['gateway/main.ts'], {
      cwd: REPO,
      env: {
        VPN_ENABLED: 'true',
        VPN_LISTEN: topology.gwAddress,
        VPN_PROTO: 'udp',
        GATEWAY_FQDN: fqdn,
        DOMAIN: domain,
        REDIS_URL: `redis://127.0.0.1:${REDIS_PORT}`,
        HOST: '127.0.0.1',
        PORT: String(PUBLIC_PORT),
        ADMIN_PORT: String(ADMIN_PORT),
        DATA_DIR: dataDir,
      },
    });
    gateway = running;
    const terminator = startTlsTerminatorIn(topology, gw, {
      listen: `${topology.gwAddress}:443`,
      upstream: `127.0.0.1:${PUBLIC_PORT}`,
      names: [fqdn, `*.org-*.${domain}`, `*.${domain}`],
    });
    const deadline = Date.now() + READY_WAIT_MS;
    let last = '';
    for (;;) {
      if (running.child.exitCode !== null || running.child.signalCode !== null)
        throw new Error(`the gateway exited (${await running.exited}):\n${running.output().slice(-3000)}`);
      const answer = await curl(['-w', `${STATUS_MARK}%{http_code}`, `${adminUrl}/readyz`]);
      last = `${answer.status} ${answer.body}`;
      if (answer.status === 200 && /"vpn"\s*:\s*"ok"/.test(answer.body)) break;
      if (Date.now() > deadline)
        throw new Error(
          `gateway not ready with vpn ok (last /readyz: ${last}):\n${running.output().slice(-3000)}`,
        );
      await sleep(200);
    }
    await terminator;
    const caPem = await terminatorCertificate(topology, fqdn);
    return {
      caPem,
      async token(identity) {
        const key = await readDevKey(dataDir);
        if (!key) throw new Error(`the gateway wrote no development key into ${dataDir}`);
        return mintContainerToken(key, identity);
      },
      async admin<T>(path: string, method = 'GET') {
        const answer = await curl(['-X', method, '-w', `${STATUS_MARK}%{http_code}`, `${adminUrl}${path}`]);
        if (answer.status < 200 || answer.status > 299)
          throw new Error(`${method} ${path} answered ${answer.status}: ${answer.body.slice(0, 500)}`);
        return JSON.parse(answer.body) as T;
      },
      proxyGet: (hostname, path = '/') =>
        curl([
          ...['--resolve', `${hostname}:443:${topology.gwAddress}`],
          ...['-w', `${STATUS_MARK}%{http_code}`, `https://${hostname}${path}`],
        ]),
      openvpnPid: () => findOpenvpn(running.pid),
      output: () => running.output(),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The certificate the terminator presents for `fqdn`, as PEM (read with a TLS handshake inside gw). */
async function terminatorCertificate(topology: Topology, fqdn: string): Promise<string> {
  const script = `const s = require('node:tls').connect({ host: '${topology.gwAddress}', port: 443,
    servername: '${fqdn}', rejectUnauthorized: false }, () => {
    process.stdout.write(s.getPeerX509Certificate().toString()); s.end(); });
  s.on('error', (e) => { console.error(e.message); process.exit(1); });`;
  const out = await topology.exec(topology.gw, process.execPath, ['-e', script]);
  if (!out.stdout.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(`no certificate from the TLS terminator: ${out.stdout}${out.stderr}`);
  return out.stdout;
}
