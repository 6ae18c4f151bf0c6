/**
 * One real OpenVPN handshake: the supervised server in namespace A with the rendered config and the
 * gateway's management client deciding, `openvpn` clients in namespace B with the inline .ovpn.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderInlineOvpn, renderLegacyVpnConfig } from '../../gateway/vpn/client-config.ts';
import { parseSubnet } from '../../gateway/vpn/ipam.ts';
import type { AuthDecision, ClientChange, ConnectRequest } from '../../gateway/vpn/management.ts';
import { OpenVpnSupervisor } from '../../gateway/vpn/openvpn.ts';
import { VpnPki } from '../../gateway/vpn/pki-service.ts';
import { generateSecretsKey, SecretBox } from '../../gateway/vpn/secrets.ts';
import { renderServerConfig } from '../../gateway/vpn/server-config.ts';
import { MemoryVpnState } from '../../gateway/vpn/vpn-state-memory.ts';
import { requireCommand } from '../support/prerequisites.ts';
import { addressIn, createNamespacePair, type NamespacePair } from './namespaces.ts';

const SUBNET = parseSubnet('172.16.0.0/16');
const PORT = 1194;
/** Bound for every wait below: a failure shows up as a clear message, never a hang. */
const WAIT_MS = 20_000;

interface RunningClient {
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
}

async function waitFor<T>(what: string, probe: () => T | null | undefined | false): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('OpenVPN handshake through the gateway management client', () => {
  let ns: NamespacePair | undefined;
  let dir: string;
  let supervisor: OpenVpnSupervisor | undefined;
  const clients: RunningClient[] = [];
  const state = new MemoryVpnState(SUBNET);
  const decisions: { request: ConnectRequest; decision: AuthDecision }[] = [];
  const changes: ClientChange[] = [];
  let readyRuns = 0;
  let pki: VpnPki;
  let crlPath: string;

  /** The gateway's policy: a current certificate of a container that is not revoked gets its address. */
  async function authorize(request: ConnectRequest): Promise<AuthDecision> {
    const decision: AuthDecision = (await state.isRevoked(request.commonName))
      ? { allow: false, reason: 'container revoked' }
      : !(await pki.isCurrentSerial(request.commonName, request.serialHex))
        ? { allow: false, reason: 'certificate superseded' }
        : { allow: true, address: await state.allocateAddress(request.commonName) };
    decisions.push({ request, decision });
    return decision;
  }

  async function startClient(
    name: string,
    certificate: { certPem: string; keyPem: string },
  ): Promise<RunningClient> {
    if (!ns) throw new Error('no namespaces');
    const ovpn = renderInlineOvpn(
      { caCertPem: pki.caCertPem, ...certificate, tlsCryptKey: pki.tlsCryptKey },
      { proto: 'udp', port: PORT, serverCommonName: pki.serverCommonName, remoteHost: ns.addressA },
    );
    const path = join(dir, `${name}.ovpn`);
    writeFileSync(path, ovpn, { mode: 0o600 });
    return runClient(name, path, dir);
  }

  /** What a legacy client does: files named by the map keys, GATEWAY_FQDN replaced, credentials appended. */
  async function startLegacyClient(name: string, password: string): Promise<RunningClient> {
    if (!ns) throw new Error('no namespaces');
    const issued = await pki.issueClientCertificate(name);
    const answer = renderLegacyVpnConfig(
      { caCertPem: pki.caCertPem, ...issued, tlsCryptKey: pki.tlsCryptKey },
      { proto: 'udp', port: PORT, serverCommonName: pki.serverCommonName },
    );
    const home = join(dir, name);
    mkdirSync(home, { mode: 0o700 });
    for (const [file, content] of Object.entries(answer.certificates)) {
      writeFileSync(join(home, file), content, { mode: 0o600 });
    }
    writeFileSync(join(home, 'vpn-credentials'), `${name}\n${password}\n`, { mode: 0o600 });
    const config = answer.config.replaceAll('GATEWAY_FQDN', ns.addressA);
    writeFileSync(
      join(home, 'client.ovpn'),
      `${config}auth-user-pass ${join(home, 'vpn-credentials')}\nauth-nocache\n`,
    );
    return runClient(name, 'client.ovpn', home);
  }

  function runClient(name: string, config: string, cwd: string): RunningClient {
    if (!ns) throw new Error('no namespaces');
    const child = spawn(
      'ip',
      ['netns', 'exec', ns.b, 'openvpn', '--config', config, '--dev', `tun-${name}`],
      {
        cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const output: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => output.push(...chunk.split('\n').filter(Boolean)));
    }
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const running = { child, output, exited };
    clients.push(running);
    return running;
  }

  beforeAll(async () => {
    requireCommand('openvpn', 'openvpn');
    dir = mkdtempSync(join(tmpdir(), 'dg-vpn-hs-'));
    ns = createNamespacePair();
    pki = await VpnPki.open({ state, secrets: await SecretBox.fromSecretsKey(generateSecretsKey()) });
    const files = await pki.writeServerFiles(join(dir, 'pki'));
    crlPath = files.crl;
    const configPath = join(dir, 'server.conf');
    const managementSocket = join(dir, 'mgmt.sock');
    writeFileSync(
      configPath,
      renderServerConfig({
        subnet: SUBNET.cidr,
        proto: 'udp',
        port: PORT,
        listen: ns.addressA,
        device: 'tun0',
        ...files,
        managementSocket,
        verb: 3,
      }),
    );
    supervisor = new OpenVpnSupervisor({
      configPath,
      managementSocket,
      device: 'tun0',
      gatewayAddress: SUBNET.gateway,
      commandPrefix: ['ip', 'netns', 'exec', ns.a],
      management: { authorize, netmask: SUBNET.netmask, onClientChange: (c) => changes.push(c) },
      onReady: () => {
        readyRuns++;
      },
    });
    await supervisor.start();
  });

  afterAll(async () => {
    for (const { child, exited } of clients) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    }
    await supervisor?.stop();
    ns?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is ready with the gateway address on tun0 in namespace A', () => {
    expect(addressIn(ns?.a ?? '', 'tun0')).toBe(`${SUBNET.gateway}/16`);
    expect(supervisor?.pid).toBeGreaterThan(0);
  });

  it('connects a container and gives its tun device the address the gateway pushed', async () => {
    const issued = await pki.issueClientCertificate('c1');
    await startClient('c1', issued);
    const address = await waitFor('c1 tunnel address', () => addressIn(ns?.b ?? '', 'tun-c1'));
    const allocated = await state.addressOf('c1');
    expect(allocated).toMatch(/^172\.16\./);
    expect(address).toBe(`${allocated}/16`);
    const decision = decisions.find((d) => d.request.commonName === 'c1');
    expect(decision?.decision.allow).toBe(true);
    expect(decision?.request.serialHex.replaceAll(':', '')).toBe(issued.serialHex);
    const established = await waitFor('ESTABLISHED of c1', () =>
      supervisor?.management?.clients().find((c) => c.commonName === 'c1'),
    );
    expect(established.realAddress.startsWith(`${ns?.addressB}:`)).toBe(true);
    expect((await supervisor?.management?.status())?.map((c) => c.commonName)).toContain('c1');
  });

  it('denies a superseded certificate: the client gets AUTH_FAILED and exits', async () => {
    const old = await pki.issueClientCertificate('c3');
    await pki.issueClientCertificate('c3');
    const client = await startClient('c3', old);
    await client.exited;
    expect(client.output.join('\n')).toContain('AUTH_FAILED');
    const decision = decisions.find((d) => d.request.commonName === 'c3');
    expect(decision?.decision).toEqual({ allow: false, reason: 'certificate superseded' });
    expect(await state.addressOf('c3')).toBeNull();
  });

  it('refuses a revoked container at the handshake (CRL) without asking the gateway', async () => {
    const issued = await pki.issueClientCertificate('c2');
    await pki.revoke('c2', crlPath);
    const client = await startClient('c2', issued);
    await waitFor('the server to reject the revoked certificate', () =>
      supervisor?.recentLog().some((line) => /certificate revoked/i.test(line)),
    );
    expect(decisions.some((d) => d.request.commonName === 'c2')).toBe(false);
    expect(addressIn(ns?.b ?? '', 'tun-c2')).toBeNull();
    client.child.kill('SIGTERM');
    await client.exited;
  });

  it('kills a client for good with client-kill HALT', async () => {
    const management = supervisor?.management;
    const c1 = management?.clients().find((c) => c.commonName === 'c1');
    const client = clients[0];
    if (!management || !c1 || !client) throw new Error('c1 is not connected');
    await management.clientKill(c1.cid, 'HALT');
    await client.exited;
    expect(client.output.join('\n')).toMatch(/Halt command was pushed by server|server-pushed-halt/);
    await waitFor('DISCONNECT of c1', () =>
      changes.some((c) => c.kind === 'disconnected' && c.client.commonName === 'c1'),
    );
    expect(management.clients().some((c) => c.commonName === 'c1')).toBe(false);
  });

  it('connects a legacy client (four files, template, auth-user-pass) and passes its credentials on', async () => {
    const client = await startLegacyClient('c4', 'a-platform-vpn-secret');
    const address = await waitFor('c4 tunnel address', () => addressIn(ns?.b ?? '', 'tun-c4'));
    expect(address).toBe(`${await state.addressOf('c4')}/16`);
    const request = decisions.find((d) => d.request.commonName === 'c4')?.request;
    expect(request?.username).toBe('c4');
    expect(request?.password).toBe('a-platform-vpn-secret');
    client.child.kill('SIGTERM');
    await client.exited;
  });

  it('restarts OpenVPN when it dies and is ready again', async () => {
    const before = supervisor?.pid;
    if (!before) throw new Error('openvpn is not running');
    const runs = readyRuns;
    process.kill(before, 'SIGKILL');
    await waitFor('OpenVPN to be ready again', () => readyRuns > runs);
    expect(supervisor?.pid).not.toBe(before);
    expect(addressIn(ns?.a ?? '', 'tun0')).toBe(`${SUBNET.gateway}/16`);
    expect(await supervisor?.management?.status()).toEqual([]);
  });
});
