/**
 * Who may join the VPN: the certificate is the identity (CN = container id, and only its newest serial
 * counts); an offered username must be that CN; an offered password that is a container token must be
 * valid and name that container. A password the gateway cannot check (a platform `vpn_secret`) does not
 * deny a client whose certificate is valid. Allowed clients get their allocated address.
 */
import type { ContainerTokenVerifier } from '../auth/container-token.ts';
import type { AuthDecision, ConnectRequest } from './management.ts';
import type { VpnPki } from './pki-service.ts';
import type { VpnStateStore } from './vpn-state.ts';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface AuthorizeDeps {
  pki: VpnPki;
  state: VpnStateStore;
  verifier: ContainerTokenVerifier;
}

export function createVpnAuthorizer({ pki, state, verifier }: AuthorizeDeps) {
  return async (request: ConnectRequest): Promise<AuthDecision> => {
    const cid = request.commonName;
    if (await state.isRevoked(cid)) return { allow: false, reason: 'container revoked' };
    if (!(await pki.isCurrentSerial(cid, request.serialHex)))
      return { allow: false, reason: 'certificate superseded or unknown' };
    if (request.username !== undefined && request.username !== '' && request.username !== cid) {
      return { allow: false, reason: 'username does not match the certificate' };
    }
    if (request.password !== undefined && JWT_SHAPE.test(request.password)) {
      const identity = await verifier.verify(request.password).catch(() => undefined);
      if (!identity) return { allow: false, reason: 'password token is not valid' };
      if (identity.containerId !== cid)
        return { allow: false, reason: 'password token names another container' };
    }
    return { allow: true, address: await state.allocateAddress(cid) };
  };
}
