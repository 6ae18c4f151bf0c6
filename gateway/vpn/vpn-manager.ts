/**
 * The gateway's VPN: persisted PKI, address allocation, OpenVPN supervised as a child with the
 * management interface held by the gateway (every connect authorized), per-container client configs,
 * revocation. One object, built once in gateway.ts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ErrorCode, forbidden, GatewayError } from '../../shared/errors.ts';
import type { ContainerIdentity, LegacyVpnConfig } from '../../shared/protocol.ts';
import type { ContainerTokenVerifier } from '../auth/container-token.ts';
import type { Config } from '../config.ts';
import type { ConnectionInfo } from '../connection-info.ts';
import type { Logger } from '../log.ts';
import { createVpnAuthorizer } from './authorize.ts';
import { renderInlineOvpn, renderLegacyVpnConfig, type VpnRemote } from './client-config.ts';
import { parseSubnet, type VpnSubnet } from './ipam.ts';
import type { ConnectedClient } from './management.ts';
import { OpenVpnSupervisor } from './openvpn.ts';
import type { VpnPki } from './pki-service.ts';
import { type LoggedAuthorizer, logRefusedClients } from './refused-clients.ts';
import { renderServerConfig } from './server-config.ts';
import type { VpnStateStore } from './vpn-state.ts';

const DEVICE = 'tun0';

/** What a VPN revocation did. */
export interface VpnRevocation {
  /** Clients of this gateway's OpenVPN that were cut. */
  killed: number;
  /** The VPN had marked the container revoked before. */
  alreadyRevoked: boolean;
}

export interface VpnManagerDeps {
  config: Config;
  log: Logger;
  state: VpnStateStore;
  pki: VpnPki;
  verifier: ContainerTokenVerifier;
  /**
   * Every live, non-draining gateway's OpenVPN (the pool), for the agent's `.ovpn`. Absent, empty or
   * failing: this gateway's own remote alone.
   */
  remotes?: () => Promise<readonly VpnRemote[]>;
  /** Told of each client established and disconnected, and of each new OpenVPN run (pool/locations.ts). */
  clients?: {
    established(clientId: number, containerId: string): void;
    disconnected(clientId: number, containerId: string): void;
    /** A new OpenVPN run is ready; `current`: its clients so far (ids start again with each run). */
    restarted(current: readonly { cid: number; commonName: string }[]): void;
  };
}

export class VpnManager {
  readonly subnet: VpnSubnet;
  readonly #deps: VpnManagerDeps;
  readonly #dir: string;
  readonly #supervisor: OpenVpnSupervisor;
  #ready = false;
  /** Client ids (of the running OpenVPN) killed by a revocation. */
  readonly #killed = new Set<number>();
  /** Authorizes connects; refusals are logged with their reason. */
  readonly #authorizer: LoggedAuthorizer;

  private constructor(deps: VpnManagerDeps) {
    this.#deps = deps;
    this.subnet = parseSubnet(deps.config.VPN_SUBNET);
    const authorizer = logRefusedClients(createVpnAuthorizer(deps), deps.log);
    this.#authorizer = authorizer;
    this.#dir = resolve(deps.config.DATA_DIR, 'openvpn');
    this.#supervisor = new OpenVpnSupervisor({
      configPath: join(this.#dir, 'server.conf'),
      managementSocket: join(this.#dir, 'management.sock'),
      device: DEVICE,
      gatewayAddress: this.subnet.gateway,
      management: {
        authorize: authorizer.authorize,
        netmask: this.subnet.netmask,
        onClientChange: (change) => {
          deps.log.info(`vpn client ${change.kind}`, {
            containerId: change.client.commonName,
            vpnAddress: change.client.vpnAddress,
          });
          deps.clients?.[change.kind](change.client.cid, change.client.commonName);
        },
        log: (message) => deps.log.debug('openvpn management', { message }),
      },
      onReady: () => {
        this.#ready = true;
        this.#killed.clear(); // client ids start again with each OpenVPN run
        deps.clients?.restarted(this.clients());
      },
      log: (message) => deps.log.info('openvpn', { message }),
    });
  }

  /** Writes the server's files and config, starts OpenVPN and resolves when tun0 carries the gateway address. */
  static async start(deps: VpnManagerDeps): Promise<VpnManager> {
    const manager = new VpnManager(deps);
    await mkdir(manager.#dir, { recursive: true, mode: 0o700 });
    const files = await deps.pki.writeServerFiles(manager.#dir);
    await deps.pki.writeCrl(files.crl);
    const { config } = deps;
    const text = renderServerConfig({
      subnet: config.VPN_SUBNET,
      proto: config.VPN_PROTO === 'tcp' ? 'tcp-server' : 'udp',
      port: config.VPN_PORT,
      listen: config.VPN_LISTEN,
      device: DEVICE,
      ...files,
      managementSocket: join(manager.#dir, 'management.sock'),
      verb: 3,
    });
    await writeFile(join(manager.#dir, 'server.conf'), text, { mode: 0o600 });
    await manager.#supervisor.start();
    manager.#ready = true;
    return manager;
  }

  get gatewayAddress(): string {
    return this.subnet.gateway;
  }

  /** Readiness: OpenVPN runs and its management interface answers. */
  async check(): Promise<void> {
    if (!this.#ready || this.#supervisor.management === null) throw new Error('openvpn is not running');
  }

  /** A container's VPN configuration with a fresh client certificate (legacy shape or one inline .ovpn). */
  async clientConfig(
    identity: ContainerIdentity,
    format: 'legacy' | 'ovpn',
  ): Promise<LegacyVpnConfig | string> {
    const { pki, state, config } = this.#deps;
    // The certificate first: it refuses a revoked container, which must not get an address back.
    const cert = await pki.issueClientCertificate(identity.containerId);
    await state.allocateAddress(identity.containerId);
    const material = {
      caCertPem: pki.caCertPem,
      certPem: cert.certPem,
      keyPem: cert.keyPem,
      tlsCryptKey: pki.tlsCryptKey,
    };
    const options = {
      proto: config.VPN_PROTO,
      port: config.VPN_PORT,
      serverCommonName: pki.serverCommonName,
    };
    if (format === 'legacy') return renderLegacyVpnConfig(material, options);
    const remotes = (await this.#deps.remotes?.().catch(() => undefined)) ?? [];
    return renderInlineOvpn(material, {
      ...options,
      remoteHost: config.GATEWAY_FQDN.replace(/:\d+$/, ''),
      remotes: [...remotes],
    });
  }

  /**
   * The upstream address of a container's routes: its allocated VPN address. Over the VPN listener the
   * request must come from that address (no speaking for another container).
   */
  async upstreamOf(identity: ContainerIdentity, connection: ConnectionInfo): Promise<string> {
    const address = await this.#deps.state.addressOf(identity.containerId);
    if (address === null) {
      throw forbidden(
        ErrorCode.SourceMismatch,
        'this container has no VPN address: fetch /collab/vpn-config first',
      );
    }
    if (connection.listener === 'vpn' && connection.remoteAddress !== address) {
      throw forbidden(ErrorCode.SourceMismatch, "the request does not come from the container's VPN address");
    }
    return address;
  }

  /** Connected clients; one this gateway killed is left out at once (OpenVPN reports it ~5 s later). */
  clients(): ConnectedClient[] {
    return (this.#supervisor.management?.clients() ?? []).filter((c) => !this.#killed.has(c.cid));
  }

  /**
   * Revokes a container: marked for good, CRL updated, its clients killed (HALT), its address released.
   * With `onlyIfKnown`, a container the VPN has no trace of (no address, no certificate, never revoked)
   * is left alone: null, nothing written.
   */
  async revoke(containerId: string, options: { onlyIfKnown?: boolean } = {}): Promise<VpnRevocation | null> {
    const { state, pki } = this.#deps;
    const alreadyRevoked = await state.isRevoked(containerId);
    if (options.onlyIfKnown && !alreadyRevoked) {
      const [address, serial] = await Promise.all([
        state.addressOf(containerId),
        state.clientSerial(containerId),
      ]);
      if (address === null && serial === null) return null;
    }
    await pki.revoke(containerId, join(this.#dir, 'crl.pem'));
    const killed = await this.#killClients(containerId);
    await state.releaseAddress(containerId);
    return { killed, alreadyRevoked };
  }

  /**
   * Another gateway revoked a container (announced on the change feed): refresh this gateway's CRL and
   * cut the container's client here too. Does nothing for a container the store does not mark revoked.
   */
  async enforceRevocation(containerId: string): Promise<number> {
    if (!(await this.#deps.state.isRevoked(containerId))) return 0;
    await this.#deps.pki.writeCrl(join(this.#dir, 'crl.pem'));
    return this.#killClients(containerId);
  }

  async #killClients(containerId: string): Promise<number> {
    const management = this.#supervisor.management;
    let killed = 0;
    for (const client of this.clients()) {
      if (client.commonName !== containerId) continue;
      await management?.clientKill(client.cid, 'HALT').catch(() => undefined);
      this.#killed.add(client.cid);
      killed++;
    }
    return killed;
  }

  /** The gateway exits at once: OpenVPN is signalled, not waited for. */
  stopNow(): void {
    this.#ready = false;
    this.#supervisor.signalNow();
  }

  async stop(): Promise<void> {
    this.#ready = false;
    this.#authorizer.stop();
    await this.#supervisor.stop();
  }
}

export const vpnDisabled = () =>
  new GatewayError(ErrorCode.NotFound, 'the VPN is not enabled on this gateway', 404);
