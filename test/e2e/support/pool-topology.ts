/**
 * The pool test bed (issue 16), from network namespaces only (nothing in the root namespace):
 *
 *   sw-<id>     two bridges and nothing else: `bb` (backbone 10.251.0.0/24), `ul` (underlay 10.250.0.0/16)
 *   st-<id>     one redis-server on the backbone, 10.251.0.2:6379
 *   fr-<id>     HAProxy (Stage 1) on 10.251.0.3 :80 (and 127.0.0.1:80 inside), round-robin over the
 *               gateways' public listeners (backbone :8080), checked on /readyz
 *   pg<g>-<id>  gateway g (1..3): the real gateway process with its OpenVPN, GATEWAY_ID `gw<g>`,
 *               backbone 10.251.0.1<g> (BACKBONE_ADDRESS), underlay 10.250.0.1<g> (VPN_LISTEN and its
 *               TLS front on :443); all share REDIS_URL, SECRETS_KEY, SESSION_SECRET, ASSERTION_KEY, the
 *               development signing key and the front's certificate
 *   uc<i>-<id>  container i on the underlay, 10.250.1.<i> (up to 250), where the gateway FQDN resolves
 *               to every gateway's underlay address, one hosts line each, rotated so that container i
 *               lists gateway ((i - 1) mod 3) + 1 first (preferredGateway(i)): containers spread over the
 *               gateways as resolvers that take the first address spread them
 *
 *   createPool({ containers, domain, fqdn, gateways?, env?(g), prefers?(i) }) -> Promise<Pool>   (started in parallel;
 *                             prefers(i): the gateway container i lists first, default preferredGateway(i))
 *     .net                    the Namespaces handle (exec, spawnIn, spawnContainer: container helpers take it)
 *     .gateways[g]            { gatewayId, ns, backbone, underlay, gateway: VpnGateway, crash() }
 *                             crash(): SIGKILL to every process in the gateway's namespace (the gateway,
 *                             its OpenVPN, its TLS front): the machine is gone
 *     .front                  { ns, haproxy }; .viaFront(host, path?) curl through HAProxy from fr
 *     .direct(g, host, path?) curl to gateway g's public listener from fr
 *     .redis(...args)         redis-cli against the store
 *     .token(identity)        a container token every gateway accepts
 *     .destroy()              everything stopped, namespaces and temporary files removed
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPKCS8, generateKeyPair } from 'jose';
import { mintContainerToken } from '../../../gateway/auth/container-token.ts';
import { DEV_KEY_FILE, type DevKey, loadOrCreateDevKey } from '../../../gateway/auth/dev-key.ts';
import { generateSecretsKey } from '../../../gateway/vpn/secrets.ts';
import type { ContainerIdentity } from '../../../shared/protocol.ts';
import { requireCommand } from '../../support/prerequisites.ts';
import { type CurlAnswer, curlIn } from './curl-in.ts';
import { type Haproxy, startHaproxyIn } from './haproxy.ts';
import {
  addContainerUplink,
  type ContainerNamespace,
  createNamespaceSet,
  hostsLines,
  type Namespaces,
  newRunId,
} from './netns.ts';
import { runCommand } from './processes.ts';
import { selfSignedCertificate } from './tls-terminator.ts';
import { startVpnGateway, type VpnGateway } from './vpn-gateway.ts';

const BACKBONE = '10.251.0';
const UNDERLAY = '10.250';
const STORE_ADDRESS = `${BACKBONE}.2`;
const FRONT_ADDRESS = `${BACKBONE}.3`;
const PUBLIC_PORT = 8080;
const MAX_CONTAINERS = 250;

export interface PoolOptions {
  containers: number;
  domain: string;
  fqdn: string;
  /** Number of gateways (default 3). */
  gateways?: number;
  /** Extra environment of gateway g (1-based). */
  env?: (g: number) => Record<string, string>;
  /** The gateway (1-based) container `index` lists first (default preferredGateway(index)). */
  prefers?: (index: number) => number;
}

export interface PoolGateway {
  readonly gatewayId: string;
  readonly ns: string;
  readonly backbone: string;
  readonly underlay: string;
  readonly gateway: VpnGateway;
  crash(): Promise<void>;
}

export interface Pool {
  readonly net: Namespaces;
  readonly containers: readonly ContainerNamespace[];
  readonly gateways: readonly PoolGateway[];
  readonly front: { ns: string; haproxy: Haproxy };
  readonly redisUrl: string;
  viaFront(host: string, path?: string, maxTimeSeconds?: number): Promise<CurlAnswer>;
  direct(g: number, host: string, path?: string): Promise<CurlAnswer>;
  redis(...args: string[]): Promise<string>;
  token(identity: ContainerIdentity): Promise<string>;
  destroy(): Promise<void>;
}

/** What every gateway of the pool shares: written once into `dir`. */
async function sharedSecrets(dir: string, names: string[]) {
  const devKey = await loadOrCreateDevKey(dir);
  const identity = join(dir, 'front-identity.json');
  writeFileSync(identity, JSON.stringify(await selfSignedCertificate(names)), { mode: 0o600 });
  const assertion = await generateKeyPair('ES256', { extractable: true });
  return {
    devKey,
    identity,
    env: {
      SECRETS_KEY: generateSecretsKey(),
      SESSION_SECRET: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url'),
      ASSERTION_KEY: await exportPKCS8(assertion.privateKey),
    },
  };
}

/** Every PID in `ns`, SIGKILLed. */
async function killEverythingIn(ns: string): Promise<void> {
  const pids = await runCommand('ip', ['netns', 'pids', ns], { allowFailure: true });
  for (const pid of pids.stdout.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** The gateway (1-based) that container `index` lists first for the FQDN. */
export const preferredGateway = (index: number, gateways = 3): number => ((index - 1) % gateways) + 1;

export async function createPool(options: PoolOptions): Promise<Pool> {
  for (const [command, pkg] of [
    ['redis-server', 'redis-server'],
    ['redis-cli', 'redis-tools'],
  ] as const)
    requireCommand(command, pkg);
  const count = options.gateways ?? 3;
  if (!Number.isInteger(options.containers) || options.containers < 0 || options.containers > MAX_CONTAINERS)
    throw new Error(`containers must be an integer 0..${MAX_CONTAINERS}`);
  const id = newRunId();
  const sw = `sw-${id}`;
  const store = `st-${id}`;
  const fr = `fr-${id}`;
  const members = Array.from({ length: count }, (_, i) => ({
    g: i + 1,
    gatewayId: `gw${i + 1}`,
    ns: `pg${i + 1}-${id}`,
    backbone: `${BACKBONE}.${11 + i}`,
    underlay: `${UNDERLAY}.0.${11 + i}`,
  }));
  const containers = Array.from({ length: options.containers }, (_, i) => ({
    index: i + 1,
    ns: `uc${i + 1}-${id}`,
    address: `${UNDERLAY}.1.${i + 1}`,
  }));
  const dir = mkdtempSync(join(tmpdir(), 'dg-e2e-pool-'));
  const fqdnLines = (first: number) =>
    hostsLines(members.map((_, k) => [members[(first + k) % count]?.underlay ?? '', [options.fqdn]]));
  const hostsOf = (ns: string) => {
    const c = containers.find((x) => x.ns === ns);
    return fqdnLines(c ? ((options.prefers?.(c.index) ?? preferredGateway(c.index, count)) - 1) % count : 0);
  };
  const ip = (...args: string[]) => runCommand('ip', args);
  /** A veth from the switch's bridge `bridge` to `ns`, named `dev` there, with `address`. */
  const plug = async (bridge: string, ns: string, dev: string, address: string) => {
    const port = `${bridge}${ns.split('-')[0]}`;
    await ip('-n', sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', dev, 'netns', ns);
    await ip('-n', sw, 'link', 'set', port, 'master', bridge, 'up');
    await ip('-n', ns, 'addr', 'add', address, 'dev', dev);
    await ip('-n', ns, 'link', 'set', dev, 'up');
  };

  const net = await createNamespaceSet({
    id,
    namespaces: [sw, store, fr, ...members.map((m) => m.ns), ...containers.map((c) => c.ns)],
    containers,
    hosts: hostsOf,
    async wire() {
      for (const bridge of ['bb', 'ul']) {
        await ip('-n', sw, 'link', 'add', bridge, 'type', 'bridge');
        await ip('-n', sw, 'link', 'set', bridge, 'up');
      }
      await plug('bb', store, 'bb0', `${STORE_ADDRESS}/24`);
      await plug('bb', fr, 'bb0', `${FRONT_ADDRESS}/24`);
      for (const m of members) {
        await plug('bb', m.ns, 'bb0', `${m.backbone}/24`);
        await plug('ul', m.ns, 'ul0', `${m.underlay}/16`);
      }
      for (const c of containers) {
        await plug('ul', c.ns, 'eth0', `${c.address}/16`);
        await addContainerUplink(c.ns);
      }
    },
  });

  const redisUrl = `redis://${STORE_ADDRESS}:6379`;
  const gateways: PoolGateway[] = [];
  let haproxy: Haproxy | undefined;
  let devKey: DevKey | undefined;
  const destroy = async () => {
    await Promise.allSettled(gateways.map((g) => g.gateway.close()));
    await net.destroy();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const shared = await sharedSecrets(dir, [options.fqdn, `*.${options.domain}`]);
    devKey = shared.devKey;
    const redis = net.spawnIn(store, 'redis-server', [
      ...['--port', '6379', '--bind', `${STORE_ADDRESS} 127.0.0.1`, '--protected-mode', 'no'],
      ...['--save', '', '--appendonly', 'no', '--dir', dir],
    ]);
    const [, front] = await Promise.all([
      redis.waitForOutput('Ready to accept connections', 10_000),
      startHaproxyIn(net, fr, {
        listen: '0.0.0.0:80',
        backends: members.map((m) => ({ name: m.gatewayId, address: `${m.backbone}:${PUBLIC_PORT}` })),
        checkHost: options.fqdn,
        dir,
      }),
    ]);
    haproxy = front;
    const started = await Promise.allSettled(
      members.map(async (m) => {
        const gateway = await startVpnGateway({
          topology: net,
          ns: m.ns,
          address: m.underlay,
          domain: options.domain,
          fqdn: options.fqdn,
          redisUrl,
          frontIdentity: shared.identity,
          seed: (dataDir) => copyFileSync(join(dir, DEV_KEY_FILE), join(dataDir, DEV_KEY_FILE)),
          env: {
            ...shared.env,
            HOST: '0.0.0.0',
            GATEWAY_ID: m.gatewayId,
            BACKBONE_ADDRESS: m.backbone,
            VPN_REMOTE: `${m.underlay}:1194`,
            TRUSTED_PROXIES: `127.0.0.1,::1,${FRONT_ADDRESS}`,
            // Stage 1 checks /readyz every 300 ms: 2 s of grace is plenty, and stop() waits 10 s at most.
            DRAIN_GRACE: '2s',
            ...options.env?.(m.g),
          },
        });
        return { ...m, gateway, crash: () => killEverythingIn(m.ns) };
      }),
    );
    for (const s of started) if (s.status === 'fulfilled') gateways.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (error) {
    await destroy();
    throw error;
  }

  const inFront = (cmd: string, args: string[], opts?: { timeoutMs?: number; allowFailure?: boolean }) =>
    net.exec(fr, cmd, args, opts);
  return {
    net,
    containers,
    gateways,
    front: { ns: fr, haproxy: haproxy as Haproxy },
    redisUrl,
    viaFront: (host, path = '/', maxTimeSeconds = 10) =>
      curlIn(inFront, `http://${host}${path}`, { resolve: [`${host}:80:127.0.0.1`], maxTimeSeconds }),
    direct(g, host, path = '/') {
      const m = members[g - 1];
      if (!m) throw new Error(`no gateway ${g}`);
      return curlIn(inFront, `http://${m.backbone}:${PUBLIC_PORT}${path}`, { headers: { Host: host } });
    },
    async redis(...args) {
      return (await net.exec(store, 'redis-cli', ['-p', '6379', ...args])).stdout.trim();
    },
    token: (identity) => mintContainerToken(devKey as DevKey, identity),
    destroy,
  };
}
