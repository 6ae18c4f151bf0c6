/**
 * Whether the gateway would take a container with a given identity: the claim schemas its token
 * verifier applies, then the hostname rules its map events apply. `gatewayctl token` asks this before
 * minting, so it never hands out a token the gateway would refuse.
 */
import { GatewayError } from './errors.ts';
import { MAX_LABEL, serviceHostname } from './hostnames.ts';
import { ContainerId, type ContainerIdentity, OrgId, ProjectId } from './protocol.ts';

/** Any valid domain: the check is about the labels the ids make, not the gateway's DOMAIN. */
const SOME_DOMAIN = 'example.com';

/** Why the gateway would refuse this identity, in one line, or undefined when it would take it. */
export function identityProblem(
  identity: Pick<ContainerIdentity, 'containerId' | 'projectId' | 'orgId'>,
): string | undefined {
  const { containerId, projectId, orgId } = identity;
  for (const [what, schema, value] of [
    ['container id', ContainerId, containerId],
    ['project id', ProjectId, projectId],
    ['org id', OrgId, orgId],
  ] as const) {
    const parsed = schema.safeParse(value);
    if (!parsed.success) return `${what} "${value}" is refused: ${parsed.error.issues[0]?.message}`;
  }
  try {
    serviceHostname({ containerId, orgId, domain: SOME_DOMAIN });
  } catch (err) {
    if (err instanceof GatewayError) return err.message;
    throw err;
  }
  // Every service has its own `uc-<c>--<s>` label: leave room for a one-letter service name at least.
  if (`uc-${containerId}--x`.length > MAX_LABEL)
    return `container id "${containerId}" leaves no room for a service name in a ${MAX_LABEL}-character hostname label (at most ${MAX_LABEL - 6} characters)`;
  return undefined;
}
