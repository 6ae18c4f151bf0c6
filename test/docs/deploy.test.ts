/**
 * docs/deploy/: the compose file, checked by Debian's `docker-compose config` (no engine needed), and the
 * Kubernetes manifests, parsed: what the gateway needs to run (NET_ADMIN, /dev/net/tun, UDP 1194), env
 * names the gateway's config schema knows and values it accepts (with the image's own defaults), probes
 * on paths and the port a real gateway answers on, a supervisor that waits out DRAIN_GRACE, Redis with
 * its append-only file.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../gateway/config.ts';
import { parseDuration } from '../../gateway/duration.ts';
import { type GatewayProcess, startGateway } from '../support/gateway-process.ts';
import { requireCommand } from '../support/prerequisites.ts';

const DEPLOY = new URL('../../docs/deploy/', import.meta.url).pathname;
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, checked field by field below
type Obj = Record<string, any>;

/** The gateway image's ENV defaults (images/gateway/Dockerfile), under what a deployment sets. */
const IMAGE_ENV = Object.fromEntries(
  [
    ...readFileSync(new URL('../../images/gateway/Dockerfile', import.meta.url), 'utf8').matchAll(
      /^\s*(?:ENV\s+)?([A-Z_]+)=(\S+?)\s*\\?$/gm,
    ),
  ].map((m) => [m[1] as string, m[2] as string]),
);
/** Values for the secrets a deployment takes from elsewhere (never committed). */
const SECRETS = {
  SECRETS_KEY: randomBytes(32).toString('hex'),
  SESSION_SECRET: randomBytes(32).toString('hex'),
  ADMIN_TOKEN: randomBytes(24).toString('hex'),
  ASSERTION_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
    type: 'pkcs8',
    format: 'pem',
  }) as string,
  REDIS_URL: 'redis://redis:6379',
  JWKS_URL: 'https://platform.example.com/.well-known/jwks.json',
  LOGIN_URL: 'https://platform.example.com/login',
  DOMAIN: 'example.com',
};
const seconds = (text: string) => (parseDuration(text) ?? Number.NaN) / 1000;

describe('docs/deploy/compose.yaml', () => {
  const compose = (env: Record<string, string>) => {
    requireCommand('docker-compose', 'docker-compose');
    return execFileSync('docker-compose', ['-f', `${DEPLOY}compose.yaml`, 'config'], {
      env: { PATH: process.env.PATH, ...env },
      stdio: 'pipe',
    }).toString();
  };

  it('is refused without a secret, naming it', () => {
    const { SECRETS_KEY: _, ...rest } = SECRETS;
    expect(() => compose(rest)).toThrow(/SECRETS_KEY/);
  });

  it('runs a gateway the config schema accepts, with the VPN, Redis on an append-only file and Stage 1', () => {
    const services = (parse(compose(SECRETS)) as Obj).services as Obj;
    const gw = services.gateway;
    expect(gw.cap_add).toContain('NET_ADMIN');
    expect(gw.devices).toContain('/dev/net/tun:/dev/net/tun');
    expect(gw.ports).toContainEqual(
      expect.objectContaining({ target: 1194, published: 1194, protocol: 'udp' }),
    );
    for (const name of Object.keys(gw.environment)) expect(CONFIG_VARIABLES).toContain(name);
    const config = loadConfig({ ...IMAGE_ENV, ...gw.environment });
    expect(config.VPN_ENABLED).toBe(true);
    expect(config.PUBLIC_SCHEME).toBe('https');
    // Stage 1 is the one trusted peer, and it forwards to the gateway's public listener.
    const stage1 = services.stage1;
    expect([...config.TRUSTED_PROXIES]).toEqual([stage1.networks.edge.ipv4_address]);
    expect(stage1.environment.DEMIURGE_GATEWAY).toBe(`${gw.networks.edge.ipv4_address}:${config.PORT}`);
    // docker-compose 1.29 prints volumes as "source:target:mode".
    const targets = (volumes: (string | Obj)[]) =>
      volumes.map((v) => (typeof v === 'string' ? v.split(':')[1] : v.target));
    expect(targets(stage1.volumes)).toContain('/etc/caddy/Caddyfile');
    expect(seconds(gw.stop_grace_period)).toBeGreaterThanOrEqual(config.DRAIN_GRACE / 1000 + 10);
    expect(services.redis.command.join(' ')).toMatch(/--appendonly yes --appendfsync everysec/);
    expect(targets(services.redis.volumes)).toEqual(['/data']);
  });
});

describe('docs/deploy/k8s', () => {
  const docs = readdirSync(`${DEPLOY}k8s`)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(`${DEPLOY}k8s/${f}`, 'utf8')).map((d) => d.toJS() as Obj));
  const deployment = docs.find((d) => d.kind === 'Deployment') as Obj;
  const pod = deployment.spec.template.spec;
  const gateway = pod.containers.find((c: Obj) => c.name === 'gateway');
  const portNamed = (name: string) => gateway.ports.find((p: Obj) => p.name === name);
  const env = Object.fromEntries(
    gateway.env.map((e: Obj) => [
      e.name,
      e.value ?? (e.valueFrom.secretKeyRef ? SECRETS[e.name as keyof typeof SECRETS] : 'gw-pod-1'),
    ]),
  ) as Record<string, string>;
  let gw: GatewayProcess;

  beforeAll(async () => {
    gw = await startGateway('node');
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it('gives the gateway NET_ADMIN, /dev/net/tun and env the config schema accepts', () => {
    expect(gateway.securityContext.capabilities.add).toContain('NET_ADMIN');
    const tun = pod.volumes.find((v: Obj) => v.hostPath?.path === '/dev/net/tun');
    expect(tun.hostPath.type).toBe('CharDevice');
    expect(gateway.volumeMounts).toContainEqual(
      expect.objectContaining({ name: tun.name, mountPath: '/dev/net/tun' }),
    );
    for (const name of Object.keys(env)) expect(CONFIG_VARIABLES).toContain(name);
    const config = loadConfig({ ...IMAGE_ENV, ...env });
    expect(portNamed('http')).toMatchObject({ containerPort: config.PORT, protocol: 'TCP' });
    expect(portNamed('admin').containerPort).toBe(config.ADMIN_PORT);
    expect(portNamed('vpn')).toMatchObject({ containerPort: config.VPN_PORT, protocol: 'UDP' });
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(config.DRAIN_GRACE / 1000 + 10);
  });

  it('probes paths the gateway answers on its admin port; liveness outlasts a drain', async () => {
    const probes = ['startupProbe', 'readinessProbe', 'livenessProbe'].map((p) => gateway[p] as Obj);
    for (const probe of probes) {
      expect(probe.httpGet.port).toBe('admin');
      const res = await fetch(`http://127.0.0.1:${gw.adminPort}${probe.httpGet.path}`);
      expect(res.status, probe.httpGet.path).toBe(200);
    }
    const live = gateway.livenessProbe;
    expect(live.periodSeconds * live.failureThreshold).toBeGreaterThan(pod.terminationGracePeriodSeconds);
  });

  it('has Services for HTTPS and UDP 1194 and a disruption budget, all selecting the pods', () => {
    const labels = deployment.spec.template.metadata.labels;
    const selects = (selector: Obj) => Object.entries(selector).every(([k, v]) => labels[k] === v);
    const services = docs.filter((d) => d.kind === 'Service');
    const ports = services.flatMap((s) => (selects(s.spec.selector) ? s.spec.ports : []));
    expect(ports).toContainEqual(expect.objectContaining({ port: 1194, protocol: 'UDP', targetPort: 'vpn' }));
    expect(ports).toContainEqual(expect.objectContaining({ port: 443, protocol: 'TCP' }));
    const named = pod.containers.flatMap((c: Obj) => c.ports.map((p: Obj) => p.name));
    for (const p of ports) expect(named).toContain(p.targetPort);
    const pdb = docs.find((d) => d.kind === 'PodDisruptionBudget') as Obj;
    expect(selects(pdb.spec.selector.matchLabels)).toBe(true);
    expect(pdb.spec.maxUnavailable).toBe(1);
  });
});
