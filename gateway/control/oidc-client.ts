/**
 * GET /collab/oidc-client?service=<name>: a container fetches its service's OpenID Connect client (id,
 * secret, issuer, redirect URIs) with its own container token. The answer is `no-store`; the secret appears
 * in no log line and no other answer.
 */
import type { Context } from 'hono';
import { ErrorCode, GatewayError } from '../../shared/errors.ts';
import { hostnamesFor } from '../../shared/hostnames.ts';
import { ServiceName } from '../../shared/protocol.ts';
import type { ContainerTokenVerifier } from '../auth/container-token.ts';
import type { OidcClients } from '../oidc/clients.ts';
import { containerRevoked, type Store } from '../store/store.ts';
import type { ControlEnv } from './env.ts';

export function oidcClientHandler(
  verifier: ContainerTokenVerifier,
  clients: OidcClients,
  store: Store,
  domain: string,
) {
  return async (c: Context<ControlEnv>) => {
    const identity = await verifier.verify(c.req.header('authorization'));
    if (await store.isRevoked(identity.containerId)) throw containerRevoked(identity.containerId);
    const service = ServiceName.safeParse(c.req.query('service') ?? '');
    if (!service.success)
      throw new GatewayError(ErrorCode.BadRequest, 'service: a service name of this container', 400);
    const parts = { containerId: identity.containerId, orgId: identity.orgId, domain };
    const [hostname] = hostnamesFor(parts, service.data, false);
    const answer = hostname ? await clients.credentials(identity.containerId, service.data, hostname) : null;
    if (!answer)
      throw new GatewayError(
        ErrorCode.NotFound,
        `service "${service.data}" has no OpenID Connect client: map it with an "oidc" field first`,
        404,
      );
    c.header('cache-control', 'no-store');
    return c.json(answer);
  };
}
