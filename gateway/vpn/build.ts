/** Builds the VPN from configuration: state store (Redis, or memory + PKI file in development), PKI, OpenVPN. */
import type { ContainerTokenVerifier } from '../auth/container-token.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { ReplicaWaits } from '../store/redis-replica-wait.ts';
import { FilePkiVpnState } from './file-pki-state.ts';
import { VpnPki } from './pki-service.ts';
import { loadSecretBox } from './secrets-key.ts';
import { VpnManager, type VpnManagerDeps } from './vpn-manager.ts';
import type { VpnStateStore } from './vpn-state.ts';
import { RedisVpnState } from './vpn-state-redis.ts';

export interface StartedVpn {
  manager: VpnManager;
  state: VpnStateStore & { close?: () => Promise<void> };
}

export async function startVpn(
  config: Config,
  log: Logger,
  verifier: ContainerTokenVerifier,
  replicaWaits?: ReplicaWaits,
  /** The pool's parts the VPN serves (client changes for locations, the agent's remotes). */
  pool: Pick<VpnManagerDeps, 'clients' | 'remotes'> = {},
): Promise<StartedVpn> {
  const state = config.redis
    ? new RedisVpnState(config.redis, config.VPN_SUBNET, config.STORE_TIMEOUT, replicaWaits)
    : new FilePkiVpnState(config.DATA_DIR, config.VPN_SUBNET);
  const secrets = await loadSecretBox(config.SECRETS_KEY, config.DATA_DIR, config.DEV_SIGNING_KEY);
  const pki = await VpnPki.open({ state, secrets });
  const manager = await VpnManager.start({ config, log, state, pki, verifier, ...pool });
  log.info('vpn ready', {
    subnet: config.VPN_SUBNET,
    gatewayAddress: manager.gatewayAddress,
    proto: config.VPN_PROTO,
    port: config.VPN_PORT,
  });
  return { manager, state };
}
