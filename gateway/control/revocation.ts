/**
 * Revoking a container: the one path that marks it revoked everywhere it could come back from (the
 * route table and, with the VPN on, the VPN state) and cuts every foothold it has.
 */
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import type { Logger } from '../log.ts';
import { type SecurityLog, SecurityReason } from '../security-log.ts';
import type { Store } from '../store/store.ts';
import type { VpnManager, VpnRevocation } from '../vpn/vpn-manager.ts';

/** The admin API's answer to a revocation. */
export interface RevocationResult {
  containerId: string;
  /** It was revoked before this call (the call still cut whatever was left). */
  alreadyRevoked: boolean;
  routesRemoved: boolean;
  vpnClientsKilled: number;
}

export interface RevokerDeps {
  store: Store;
  /** Present when VPN_ENABLED. */
  vpn?: Pick<VpnManager, 'revoke'>;
  /** Closes the container's open WebSockets on this gateway. */
  closeWebSockets: (containerId: string) => void;
  /** Deletes the container's OpenID Connect clients and all they were issued (gateway/oidc/). */
  removeOidcClients?: (containerId: string) => Promise<unknown>;
  security: SecurityLog;
  log: Logger;
}

export const unknownContainer = (containerId: string) =>
  new GatewayError(
    ErrorCode.UnknownContainer,
    `no container "${containerId}" is known to this gateway: nothing was revoked`,
    404,
  );

/** Revokes a container for good; throws GW_ERR_UNKNOWN_CONTAINER (404), changing nothing, for an unknown id. */
export function createRevoker(deps: RevokerDeps): (containerId: string) => Promise<RevocationResult> {
  const { store, vpn } = deps;
  return async (containerId) => {
    let vpnRevocation: VpnRevocation | null = null;
    if (vpn) {
      // The VPN's mark comes first: the store's `revoked` message makes every gateway read it. An id
      // the store has no trace of still counts as known when the VPN has one (an address, a certificate).
      const knownToStore =
        (await store.isRevoked(containerId)) || (await store.getContainer(containerId)) !== null;
      vpnRevocation = await vpn.revoke(containerId, { onlyIfKnown: !knownToStore });
      if (vpnRevocation === null) throw unknownContainer(containerId);
    }
    // Without the VPN, the store decides alone, atomically with the mark: an unknown id gets none.
    const revocation = await store.revokeContainer(containerId, { onlyIfKnown: !vpn });
    if (revocation.status === 'unknown') throw unknownContainer(containerId);
    deps.closeWebSockets(containerId);
    await deps.removeOidcClients?.(containerId);
    const result: RevocationResult = {
      containerId,
      alreadyRevoked: revocation.status === 'already-revoked' || (vpnRevocation?.alreadyRevoked ?? false),
      routesRemoved: revocation.removed,
      vpnClientsKilled: vpnRevocation?.killed ?? 0,
    };
    deps.security.event(SecurityReason.ContainerRevoked, { ...result });
    deps.log.info('container revoked', { ...result });
    return result;
  };
}
